#!/usr/bin/env bash
# Runs dbt on the project in dbt/ with the project's Python environment,
# pointed at the warehouse: DATABASE_URL when set, else the local stack.
# Usage: scripts/dbt.sh build --select core   (any dbt command and flags)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export DO_NOT_TRACK=1 DBT_SEND_ANONYMOUS_USAGE_STATS=false

[ -x "$root/.venv/bin/dbt" ] || { echo "dbt.sh: .venv/bin/dbt is missing: run ./scripts/setup.sh first" >&2; exit 1; }
if [ -z "${DATABASE_URL:-}" ]; then
  [ -x "$root/target/release/superstore" ] || {
    echo "dbt.sh: DATABASE_URL is unset and target/release/superstore is missing: run ./scripts/setup.sh, or set DATABASE_URL" >&2
    exit 1
  }
  DATABASE_URL=$("$root/target/release/superstore" env | sed -n 's/^export DATABASE_URL=//p')
fi
# profiles.yml reads the connection from DBT_PG* variables, split out of the URL here.
eval "$("$root/.venv/bin/python" - "$DATABASE_URL" <<'PY'
import shlex, sys
from urllib.parse import unquote, urlsplit
url = urlsplit(sys.argv[1])
for name, value in {
    "DBT_PGHOST": url.hostname or "127.0.0.1",
    "DBT_PGPORT": str(url.port or 5432),
    "DBT_PGUSER": unquote(url.username or ""),
    "DBT_PGPASSWORD": unquote(url.password or ""),
    "DBT_PGDATABASE": url.path.lstrip("/") or "postgres",
}.items():
    print(f"export {name}={shlex.quote(value)}")
PY
)"
cd "$root/dbt"
exec "$root/.venv/bin/dbt" "$@" --project-dir "$root/dbt" --profiles-dir "$root/dbt"
