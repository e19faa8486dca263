#!/usr/bin/env bash
# Wall times of the warehouse on N staged events (1,000,000 by default),
# filled the way production fills it: the generator publishes, the pipeline
# stages. Uses a database of its own (superstore_bench) on the local stack's
# cluster, so the figures are not skewed by test data. Prints figures only:
# a full refresh, an incremental build with nothing new and one after +1%
# new events, and their ratios (the goal: +1% costs at most 0.15 of a full
# refresh).
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-1000000}
B=target/release/superstore
[ -x "$B" ] && [ -x .venv/bin/dbt ] || ./scripts/setup.sh
# Always the binary of this checkout, never one built before a change.
cargo build --quiet --release --locked --bin superstore
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
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Wall time of a command in seconds (to the hundredth), its output kept for errors only.
timed() {
  local label=$1; shift
  local start end
  start=$(date +%s%N)
  "$@" >"$log" 2>&1 || { cat "$log"; exit 1; }
  end=$(date +%s%N)
  LAST=$(((end - start) / 10000000))
  printf "%-56s %4d.%02d s\n" "$label" $((LAST / 100)) $((LAST % 100))
}
staged() { .venv/bin/python -c 'import os,psycopg;print(psycopg.connect(os.environ["DATABASE_URL"]).execute("select count(*) from staging.sales_events").fetchone()[0])'; }
new=$((events / 100))
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
timed "generate $events events" $B generate --count "$events" --seed 777 --topic $T
timed "superstore run --until-idle" $B run --until-idle --topic $T
echo "staged events: $(staged)"
timed "dbt build --full-refresh (models and tests)" scripts/dbt.sh build --full-refresh
full=$LAST
timed "dbt build, incremental, nothing new" scripts/dbt.sh build
idle=$LAST
$B generate --count "$new" --seed 778 --topic $T >/dev/null 2>&1
$B run --until-idle --topic $T >/dev/null 2>&1
echo "staged events: $(staged)"
timed "dbt build, incremental, +$new new events (+1%)" scripts/dbt.sh build
plus=$LAST
timed "dbt run --full-refresh (models only)" scripts/dbt.sh run --full-refresh
run_full=$LAST
$B generate --count "$new" --seed 779 --topic $T >/dev/null 2>&1
$B run --until-idle --topic $T >/dev/null 2>&1
timed "dbt run, incremental, +$new new events (+1%, models only)" scripts/dbt.sh run
run_plus=$LAST
# The floor of any dbt build here: starting dbt and parsing the project.
timed "dbt's own start: a build that selects no node" scripts/dbt.sh build --select tag:no_such_tag
floor=$LAST
ratio() { printf "%d.%03d" $(($1 / $2)) $(($1 * 1000 / $2 % 1000)); }
echo "incremental build, nothing new / full refresh build:  $(ratio "$idle" "$full")"
echo "incremental build, +1% / full refresh build:          $(ratio "$plus" "$full")"
echo "incremental run, +1% / full refresh run (models only): $(ratio "$run_plus" "$run_full")"
echo "the same, less dbt's own start from both:"
echo "  incremental build, +1% / full refresh build:        $(ratio $((plus - floor)) $((full - floor)))"
echo "  incremental run, +1% / full refresh run:            $(ratio $((run_plus - floor)) $((run_full - floor)))"
