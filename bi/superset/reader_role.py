"""The warehouse role Superset reads with: it may log in, read the marts and
core schemas (tables dbt creates later included), and nothing else: no
staging, no registry, no writes (its sessions are read-only by default and
it owns nothing).

Created or updated idempotently by scripts/superset.sh through the
warehouse's owner (DATABASE_URL); identifiers and the password are quoted by
psycopg, never pasted into SQL."""

from urllib.parse import urlsplit

import psycopg2
from psycopg2 import sql

READ_SCHEMAS = ("marts", "core")


def ensure_reader_role(owner_url: str, role: str, password: str) -> None:
    """Creates `role` (or resets its password) with SELECT on marts and core only."""
    database = urlsplit(owner_url).path.lstrip("/") or "postgres"
    name = sql.Identifier(role)
    with psycopg2.connect(owner_url) as connection, connection.cursor() as cursor:
        cursor.execute("select 1 from pg_roles where rolname = %s", (role,))
        verb = sql.SQL("alter" if cursor.fetchone() else "create")
        cursor.execute(sql.SQL(
            "{} role {} with login password {} nosuperuser nocreatedb nocreaterole noreplication"
        ).format(verb, name, sql.Literal(password)))
        cursor.execute(sql.SQL("alter role {} set default_transaction_read_only = on").format(name))
        cursor.execute(sql.SQL("grant connect on database {} to {}").format(sql.Identifier(database), name))
        for schema in map(sql.Identifier, READ_SCHEMAS):
            # dbt creates these on its first build; creating them first lets the grants land now.
            cursor.execute(sql.SQL("create schema if not exists {}").format(schema))
            cursor.execute(sql.SQL("grant usage on schema {} to {}").format(schema, name))
            cursor.execute(sql.SQL("grant select on all tables in schema {} to {}").format(schema, name))
            # Tables dbt creates from now on (it rebuilds marts as new tables) are readable too.
            cursor.execute(sql.SQL(
                "alter default privileges in schema {} grant select on tables to {}").format(schema, name))
