-- The warehouse's builds, one row per successful run of the Airflow DAG
-- superstore_warehouse, written by its last task once the marts are built and
-- tested. `superstore run` serves the newest as the gauge
-- superstore_warehouse_last_build_timestamp_seconds, so that a schedule that
-- stalls (a scheduler down, a DAG paused, builds failing) raises an alert.
-- A schema of its own: `staging` holds the pipeline's landing tables only,
-- and `core` and `marts` belong to dbt.
create schema if not exists warehouse;

create table warehouse.builds (
    build_id bigint generated always as identity primary key,
    built_at timestamptz not null default now()
);

create index builds_built_at on warehouse.builds (built_at);
