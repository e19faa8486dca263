#!/usr/bin/env bash
# Runs the Airflow CLI with the project's Python environment on the DAGs in
# airflow/dags/. Any airflow command works, the long-running ones included:
#   scripts/airflow.sh dags test superstore_warehouse   (one run now, in this process)
#   scripts/airflow.sh standalone                       (scheduler, dag-processor,
#                                                        triggerer and API server in one)
#   scripts/airflow.sh scheduler | dag-processor | triggerer | api-server
#
# - No venv to activate: .venv/bin goes first on PATH, because Airflow starts
#   its components and task runners as `airflow` looked up on PATH.
# - The metadata database is migrated on first use (and after the Python lock
#   changes) under a lock: components started at once wait for the first to
#   finish instead of migrating the same database twice.
# - AIRFLOW_HOME is <SUPERSTORE_HOME>/airflow (.superstore/airflow) unless set.
# - Metadata in SQLite ($AIRFLOW_HOME/airflow.db) by default, for one person on
#   a laptop; SUPERSTORE_AIRFLOW_METADATA=postgres keeps it in a database of
#   its own (SUPERSTORE_AIRFLOW_DATABASE, `airflow`) on the warehouse's
#   PostgreSQL server, created here when missing; or Airflow's own
#   AIRFLOW__DATABASE__SQL_ALCHEMY_CONN names any database.
# - One setting moves the API server: SUPERSTORE_AIRFLOW_PORT (18080; Airflow's
#   AIRFLOW__API__PORT is taken too) sets its port and the execution API
#   address the task runners report to. Do not pass `api-server --port`.
# - The DAG's tasks reach the warehouse through DATABASE_URL: when it is
#   unset, it is taken from the local stack.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
root="$(cd "$(dirname "$0")/.." && pwd)"

require_venv_tool airflow
export PATH="$root/.venv/bin:$PATH"
export AIRFLOW_HOME="${AIRFLOW_HOME:-${SUPERSTORE_HOME:-$root/.superstore}/airflow}"
export AIRFLOW__CORE__DAGS_FOLDER="$root/airflow/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
# The executor of one machine: it runs each task in a process of its own.
export AIRFLOW__CORE__EXECUTOR="${AIRFLOW__CORE__EXECUTOR:-LocalExecutor}"
export DO_NOT_TRACK=1 SCARF_NO_ANALYTICS=true AIRFLOW__USAGE_DATA_COLLECTION__ENABLED=False
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
# The CLI warns on every start that graphviz is missing; only `dags show` needs it.
export PYTHONWARNINGS="${PYTHONWARNINGS:+$PYTHONWARNINGS,}ignore:Could not import graphviz"

# The API server (the UI, and the execution API that every task reports to)
# listens on loopback, with one worker process unless told otherwise.
export AIRFLOW__API__HOST="${AIRFLOW__API__HOST:-127.0.0.1}"
export AIRFLOW__API__WORKERS="${AIRFLOW__API__WORKERS:-1}"
if [ -n "${SUPERSTORE_AIRFLOW_PORT:-}" ] && [ -n "${AIRFLOW__API__PORT:-}" ] \
  && [ "$SUPERSTORE_AIRFLOW_PORT" != "$AIRFLOW__API__PORT" ]; then
  die "SUPERSTORE_AIRFLOW_PORT=$SUPERSTORE_AIRFLOW_PORT and AIRFLOW__API__PORT=$AIRFLOW__API__PORT disagree: set only SUPERSTORE_AIRFLOW_PORT"
fi
api_port="${SUPERSTORE_AIRFLOW_PORT:-${AIRFLOW__API__PORT:-18080}}"
case "$api_port" in
  '' | *[!0-9]*) die "SUPERSTORE_AIRFLOW_PORT=$api_port is not a port number: give one below 32768, e.g. 18080" ;;
esac
export AIRFLOW__API__PORT="$api_port"
# Task runners reach the API server where it listens (Airflow's own default
# is port 8080 whatever the server's port is): a wildcard address is reached
# on loopback, an IPv6 one in brackets.
case "$AIRFLOW__API__HOST" in
  0.0.0.0 | '') api_reach=127.0.0.1 ;;
  :: | '[::]') api_reach='[::1]' ;;
  *:*) api_reach="[${AIRFLOW__API__HOST#[}"; api_reach="${api_reach%]}]" ;;
  *) api_reach="$AIRFLOW__API__HOST" ;;
esac
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="${AIRFLOW__CORE__EXECUTION_API_SERVER_URL:-http://$api_reach:$api_port/execution/}"

# Airflow writes its configuration, logs and metadata here: create it whatever
# the metadata database is, rather than rely on a command that ran before.
mkdir -p "$AIRFLOW_HOME"

# Quietly: commands that never touch the warehouse (list-import-errors) must not
# need the local stack; scripts/dbt.sh asks again, and fails loudly, when dbt runs.
if [ -z "${DATABASE_URL:-}" ] && [ -x "$root/target/release/superstore" ]; then
  DATABASE_URL=$(local_stack_database_url 2>/dev/null || true)
  if [ -n "$DATABASE_URL" ]; then export DATABASE_URL; else unset DATABASE_URL; fi
fi

# Which metadata database: the connection string, and for SQLite its file.
metadata="${SUPERSTORE_AIRFLOW_METADATA:-sqlite}"
metadata_db=""
case "$metadata" in
  sqlite)
    if [ -z "${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN:-}" ]; then
      metadata_db="$AIRFLOW_HOME/airflow.db"
      export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="sqlite:///$metadata_db"
    fi
    ;;
  postgres)
    [ -z "${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN:-}" ] \
      || die "SUPERSTORE_AIRFLOW_METADATA=postgres and AIRFLOW__DATABASE__SQL_ALCHEMY_CONN are both set: keep one"
    [ -n "${DATABASE_URL:-}" ] \
      || die "SUPERSTORE_AIRFLOW_METADATA=postgres puts the metadata on the warehouse's server, and none is known: set DATABASE_URL, or start the local stack (target/release/superstore up)"
    metadata_name="${SUPERSTORE_AIRFLOW_DATABASE:-airflow}"
    case "$metadata_name" in
      '' | *[!a-z0-9_]* | [0-9]*) die "SUPERSTORE_AIRFLOW_DATABASE=$metadata_name is not a plain database name: use lower-case letters, digits and _" ;;
    esac
    # The warehouse's URL with another database: same server, same credentials.
    # Airflow also opens async sessions (the API server): psycopg 3 serves both
    # kinds, where Airflow would otherwise look for asyncpg, which is not installed.
    rest="${DATABASE_URL#*://}"
    query=""
    case "$rest" in *\?*) query="?${rest#*\?}"; rest="${rest%%\?*}" ;; esac
    export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="postgresql+psycopg2://${rest%%/*}/$metadata_name$query"
    export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC="postgresql+psycopg_async://${rest%%/*}/$metadata_name$query"
    ;;
  *) die "SUPERSTORE_AIRFLOW_METADATA=$metadata is not known: use sqlite (the default) or postgres" ;;
esac

# Creates the PostgreSQL metadata database when it is missing.
create_metadata_database() {
  "$root/.venv/bin/python" - "$DATABASE_URL" "$metadata_name" <<'PY'
import sys
import psycopg
from psycopg import errors, sql

url, name = sys.argv[1:]
try:
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as db:
        if db.execute("select 1 from pg_database where datname = %s", (name,)).fetchone():
            sys.exit(0)
        try:
            db.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
            print(f"airflow.sh: created the metadata database {name}", file=sys.stderr)
        except errors.DuplicateDatabase:
            pass  # created meanwhile by a caller with another AIRFLOW_HOME
except psycopg.Error as e:
    where = psycopg.conninfo.conninfo_to_dict(url)
    server = f"{where.get('host', 'localhost')}:{where.get('port', 5432)}"
    sys.exit(f"airflow.sh: cannot create the metadata database {name} on {server}: "
             f"{str(e).strip()}\nFix: start the local stack (target/release/superstore up), "
             "or set DATABASE_URL to a server where this user may create databases")
PY
}

# First use: migrate the metadata database, under a lock that concurrent
# callers wait on. The marker records which database and which Python lock
# were migrated (a hash: the connection string holds a password), so a new
# Airflow release migrates again. Migrating also writes airflow.cfg with its
# generated secrets, which every component must share.
config_file="${AIRFLOW_CONFIG:-$AIRFLOW_HOME/airflow.cfg}"
marker="$AIRFLOW_HOME/.metadata-migrated"
wanted=$(printf '%s\n%s\n' "$AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" \
  "$(cat "$root/.venv/.requirements.sha256" 2>/dev/null || true)" | sha256sum | cut -d' ' -f1)
metadata_ready() {
  [ -f "$config_file" ] && [ "$(cat "$marker" 2>/dev/null || true)" = "$wanted" ] \
    && { [ -z "$metadata_db" ] || [ -s "$metadata_db" ]; }
}
if ! metadata_ready; then
  exec 9>"$AIRFLOW_HOME/.metadata.lock"
  if ! flock -n 9; then
    echo "airflow.sh: another airflow.sh is initialising $AIRFLOW_HOME; waiting for it" >&2
    flock 9
  fi
  if ! metadata_ready; then
    [ "$metadata" = postgres ] && create_metadata_database
    fresh_sqlite=false
    [ -n "$metadata_db" ] && [ ! -s "$metadata_db" ] && fresh_sqlite=true
    if ! airflow db migrate >"$AIRFLOW_HOME/db-migrate.log" 2>&1; then
      cat "$AIRFLOW_HOME/db-migrate.log" >&2
      # A half-migrated new file would be taken for a ready one; an old one keeps its history.
      if [ "$fresh_sqlite" = true ]; then rm -f "$metadata_db"; fi
      die "airflow db migrate failed; its output is above"
    fi
    echo "$wanted" >"$marker"
  fi
  exec 9>&-
fi

exec airflow "$@"
