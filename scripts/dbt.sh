#!/usr/bin/env bash
# Runs dbt on the project in dbt/ with the project's Python environment,
# pointed at the warehouse: DATABASE_URL when set, else the local stack.
# Usage: scripts/dbt.sh build --select core   (any dbt command and flags)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
root="$(cd "$(dirname "$0")/.." && pwd)"
export DO_NOT_TRACK=1 DBT_SEND_ANONYMOUS_USAGE_STATS=false

require_venv_tool dbt
DATABASE_URL=$(superstore_database_url)
# profiles.yml reads the connection from DBT_PG* variables, split out of the URL here
# (TLS included: sslmode, sslrootcert, sslcert and sslkey of the URL's query).
eval "$("$root/.venv/bin/python" - "$DATABASE_URL" <<'PY'
import shlex, sys
from urllib.parse import parse_qs, unquote, urlsplit
url = urlsplit(sys.argv[1])
query = {key: values[-1] for key, values in parse_qs(url.query).items()}
for name, value in {
    "DBT_PGHOST": url.hostname or "127.0.0.1",
    "DBT_PGPORT": str(url.port or 5432),
    "DBT_PGUSER": unquote(url.username or ""),
    "DBT_PGPASSWORD": unquote(url.password or ""),
    "DBT_PGDATABASE": url.path.lstrip("/") or "postgres",
    # TLS as the URL asks (sslmode=verify-full&sslrootcert=…); libpq's default otherwise.
    "DBT_PGSSLMODE": query.get("sslmode", "prefer"),
    "DBT_PGSSLROOTCERT": query.get("sslrootcert", ""),
    "DBT_PGSSLCERT": query.get("sslcert", ""),
    "DBT_PGSSLKEY": query.get("sslkey", ""),
}.items():
    print(f"export {name}={shlex.quote(value)}")
PY
)"
cd "$root/dbt"
exec "$root/.venv/bin/dbt" "$@" --project-dir "$root/dbt" --profiles-dir "$root/dbt"
