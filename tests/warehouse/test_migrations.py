"""Migrations against a warehouse in use: views over staging (dbt's, or a
user's own) must not stop a migration that changes a column's type, and
must come out of it unchanged, with their grants."""

import os
import subprocess
import uuid

import psycopg
import pytest

from support.superstore import ROOT, superstore_binary

DECIMALS = "20261129110001"
DECIMALS_DOWN = ROOT / "migrations" / "2026-11-29-110001_staging_sale_v3_decimals" / "down.sql"


@pytest.fixture
def warehouse(endpoints, db):
    """A migrated database of the test's own, and the environment that points at it."""
    database = f"migrations_{uuid.uuid4().hex[:10]}"
    db.execute(f"create database {database}")  # a name of ours, not input
    url = endpoints["DATABASE_URL"].rsplit("/", 1)[0] + "/" + database
    env = {**os.environ, **endpoints, "DATABASE_URL": url}
    assert migrate(env).returncode == 0
    try:
        yield url, env
    finally:
        db.execute(f"drop database if exists {database} with (force)")


def migrate(env) -> subprocess.CompletedProcess:
    return subprocess.run([str(superstore_binary()), "migrate"], cwd=ROOT, env=env, capture_output=True, text=True)


def column_type(conn, schema: str, table: str, column: str) -> str:
    return conn.execute(
        "select format_type(atttypid, atttypmod) from pg_attribute "
        "where attrelid = to_regclass(%s) and attname = %s",
        (f"{schema}.{table}", column),
    ).fetchone()[0]


def revert_decimals(conn) -> None:
    """Runs the decimals migration's down.sql as diesel would, and forgets it was applied."""
    with conn.transaction():
        conn.execute(DECIMALS_DOWN.read_text())
        conn.execute("delete from __diesel_schema_migrations where version = %s", (DECIMALS,))


def test_views_over_staging_survive_a_column_type_change_with_their_grants(warehouse):
    url, env = warehouse
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("create schema reporting")
        conn.execute("create view reporting.amounts as select event_id, sales, profit from staging.sales_events")
        conn.execute("create view reporting.big_sales as select * from reporting.amounts where sales > 1000")
        conn.execute("grant select on reporting.big_sales to public")
        definition = conn.execute("select pg_get_viewdef('reporting.big_sales'::regclass)").fetchone()[0]

        revert_decimals(conn)  # narrows the columns while the views read them
        assert column_type(conn, "reporting", "amounts", "sales") == "numeric(12,2)"

        result = migrate(env)  # widens them again
        assert result.returncode == 0, result.stderr
        assert f"applied {DECIMALS}" in result.stdout, result.stdout
        assert column_type(conn, "staging", "sales_events", "sales") == "numeric(16,4)"
        assert column_type(conn, "reporting", "amounts", "sales") == "numeric(16,4)"
        assert conn.execute("select pg_get_viewdef('reporting.big_sales'::regclass)").fetchone()[0] == definition
        assert conn.execute(
            "select has_table_privilege('public', 'reporting.big_sales', 'select')"
        ).fetchone()[0]


def test_a_materialized_view_over_staging_stops_the_migration_with_its_name(warehouse):
    url, env = warehouse
    with psycopg.connect(url, autocommit=True) as conn:
        revert_decimals(conn)
        conn.execute("create materialized view public.sales_snapshot as select sales from staging.sales_events")
        result = migrate(env)
        assert result.returncode == 4, result.stderr
        assert "public.sales_snapshot" in result.stderr and "drop them, run the migration" in result.stderr
        assert column_type(conn, "staging", "sales_events", "sales") == "numeric(12,2)"  # rolled back whole
