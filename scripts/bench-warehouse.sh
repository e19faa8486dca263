#!/usr/bin/env bash
# Wall times of the warehouse on N staged events (1,000,000 by default),
# filled the way production fills it: the generator publishes, the pipeline
# stages. Uses a database of its own (superstore_bench) on the local stack's
# cluster, so the figures are not skewed by test data. Prints figures only.
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-1000000}
B=target/release/superstore
[ -x "$B" ] && [ -x .venv/bin/dbt ] || ./scripts/setup.sh
$B up >/dev/null
eval "$($B env)"
export PGCONNECT_TIMEOUT=10
.venv/bin/python - "$DATABASE_URL" <<'PY'
import sys, psycopg
with psycopg.connect(sys.argv[1], autocommit=True) as db:
    db.execute("drop database if exists superstore_bench with (force)")
    db.execute("create database superstore_bench")
PY
export DATABASE_URL="${DATABASE_URL%/*}/superstore_bench"
$B migrate >/dev/null
T=bench.million.$(date +%s)
timed() { local label=$1; shift; local start=$SECONDS; "$@" > "/tmp/bench-warehouse-$$.log" 2>&1 || { cat "/tmp/bench-warehouse-$$.log"; exit 1; }; printf "%-58s %5d s\n" "$label" $((SECONDS - start)); }
timed "generate $events events" $B generate --count "$events" --seed 777 --topic $T
timed "superstore run --until-idle" $B run --until-idle --topic $T
echo "staged events: $(.venv/bin/python -c 'import os,psycopg;print(psycopg.connect(os.environ["DATABASE_URL"]).execute("select count(*) from staging.sales_events").fetchone()[0])')"
timed "dbt build --full-refresh (models and tests)" scripts/dbt.sh build --full-refresh
timed "dbt build, incremental, nothing new" scripts/dbt.sh build
timed "dbt run --full-refresh (models only)" scripts/dbt.sh run --full-refresh
timed "dbt run, incremental, nothing new" scripts/dbt.sh run
$B generate --count 10000 --seed 778 --topic $T >/dev/null 2>&1
$B run --until-idle --topic $T >/dev/null 2>&1
timed "dbt run, incremental, 10,000 new events" scripts/dbt.sh run
timed "dbt run, incremental, nothing new, lookback 1 minute" scripts/dbt.sh run --vars '{lookback_minutes: 1}'
rm -f "/tmp/bench-warehouse-$$.log"

