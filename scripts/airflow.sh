#!/usr/bin/env bash
# Runs the Airflow CLI with the project's Python environment on the DAGs in
# airflow/dags/, with a local SQLite metadata database that is created on
# first use. The DAG's tasks reach the warehouse through DATABASE_URL: when
# it is unset, it is taken from the local stack.
# Usage: scripts/airflow.sh dags list-import-errors -l   (any airflow command and flags)
#        scripts/airflow.sh dags test superstore_warehouse
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export AIRFLOW_HOME="${AIRFLOW_HOME:-$root/.superstore/airflow}"
export AIRFLOW__CORE__DAGS_FOLDER="$root/airflow/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
# The UI and API (standalone, api-server) listen on loopback unless told otherwise.
export AIRFLOW__API__HOST="${AIRFLOW__API__HOST:-127.0.0.1}"
export DO_NOT_TRACK=1 SCARF_NO_ANALYTICS=true AIRFLOW__USAGE_DATA_COLLECTION__ENABLED=False
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
# The CLI warns on every start that graphviz is missing; only `dags show` needs it.
export PYTHONWARNINGS="${PYTHONWARNINGS:+$PYTHONWARNINGS,}ignore:Could not import graphviz"

[ -x "$root/.venv/bin/airflow" ] || { echo "airflow.sh: .venv/bin/airflow is missing: run ./scripts/setup.sh first" >&2; exit 1; }
# Airflow writes its configuration, logs and metadata here: create it whatever
# the metadata database is, rather than rely on a command that ran before.
mkdir -p "$AIRFLOW_HOME"

# Quietly: commands that never touch the warehouse (list-import-errors) must not
# need the local stack; scripts/dbt.sh asks again, and fails loudly, when dbt runs.
if [ -z "${DATABASE_URL:-}" ] && [ -x "$root/target/release/superstore" ]; then
  DATABASE_URL=$( (eval "$("$root/target/release/superstore" env 2>/dev/null)" && printf '%s' "${DATABASE_URL:-}") || true)
  if [ -n "$DATABASE_URL" ]; then export DATABASE_URL; else unset DATABASE_URL; fi
fi

# The SQLite metadata database, unless another one is configured.
metadata_db="$AIRFLOW_HOME/airflow.db"
if [ -z "${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN:-}" ] && [ ! -s "$metadata_db" ]; then
  if ! "$root/.venv/bin/airflow" db migrate >"$AIRFLOW_HOME/db-migrate.log" 2>&1; then
    cat "$AIRFLOW_HOME/db-migrate.log" >&2
    rm -f "$metadata_db"  # a half-migrated database would be taken for a ready one next time
    echo "airflow db migrate failed; its output is above" >&2
    exit 1
  fi
fi

exec "$root/.venv/bin/airflow" "$@"
