{#
    The Airflow DAG's last task, `dbt run-operation record_warehouse_build`,
    runs once the marts are built and tested: it adds one row to
    warehouse.builds (a table of the migrations), the newest of which
    `superstore run` serves as superstore_warehouse_last_build_timestamp_seconds,
    so that a schedule that stalls raises an alert. A run-operation opens a
    transaction and leaves it to the macro to commit.
#}
{% macro record_warehouse_build() %}
    {%- call statement('record_warehouse_build', fetch_result=True, auto_begin=True) -%}
        insert into warehouse.builds default values returning build_id, built_at
    {%- endcall -%}
    {%- do adapter.commit() -%}
    {%- set row = load_result('record_warehouse_build')['data'][0] -%}
    {{ log("recorded warehouse build " ~ row[0] ~ " at " ~ row[1], info=True) }}
{% endmacro %}
