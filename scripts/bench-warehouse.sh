#!/usr/bin/env bash
# Wall times of the warehouse at one or more sizes (1,000,000 staged events by
# default; `scripts/bench-warehouse.sh 1000000 10000000` grows the same
# warehouse from one size to the next, as production does). Staging is filled
# the way production fills it: the generator publishes, the pipeline stages,
# in a database of its own (superstore_bench) on the local stack's cluster.
# Prints figures only, with the goals beside them: at each size a full
# refresh, incremental builds and runs after new events (1% of the first
# size, the same count at every size, so that growth across sizes is the
# table's, not the batch's), the full data tests and dbt's own start; across
# sizes, how the incremental costs grow.
# SUPERSTORE_BENCH_NO_BUILD=1 skips building the binary (it must be current).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-1000000}")
B=target/release/superstore
[ -x "$B" ] && [ -x .venv/bin/dbt ] || ./scripts/setup.sh
# Always the binary of this checkout, never one built before a change.
[ -n "${SUPERSTORE_BENCH_NO_BUILD:-}" ] || cargo build --quiet --release --locked --bin superstore
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
T=bench.warehouse.$(date +%s)
seed=777
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Wall time of a command in hundredths of a second, in LAST; its output kept for errors only.
timed() {
  local label=$1; shift
  local start end
  start=$(date +%s%N)
  "$@" >"$log" 2>&1 || { cat "$log"; exit 1; }
  end=$(date +%s%N)
  LAST=$(((end - start) / 10000000))
  printf "  %-60s %5d.%02d s\n" "$label" $((LAST / 100)) $((LAST % 100))
}
staged() { .venv/bin/python -c 'import os,psycopg;print(psycopg.connect(os.environ["DATABASE_URL"]).execute("select count(*) from staging.sales_events").fetchone()[0])'; }
stage() {
  seed=$((seed + 1))
  $B generate --count "$1" --seed "$seed" --topic "$T" >"$log" 2>&1 || { cat "$log"; exit 1; }
  $B run --until-idle --topic "$T" >"$log" 2>&1 || { cat "$log"; exit 1; }
}
new=$((sizes[0] / 100))
# A ratio to the thousandth; "n/a" when the part is negative (noise larger than it).
ratio() {
  if [ "$1" -lt 0 ] || [ "$2" -le 0 ]; then echo "n/a"; return; fi
  printf "%d.%03d" $(($1 / $2)) $(($1 * 1000 / $2 % 1000))
}
dbt_layers() { for layer in staging core marts; do scripts/dbt.sh build --select "$layer"; done; }

declare -A run_plus_at build_plus_at
measure() {
  local events=$1 now full idle idle3 plus run_full run_plus parse floor
  now=$(staged)
  [ "$now" -ge "$events" ] || timed "stage $((events - now)) more events (generate, run)" stage $((events - now))
  echo "  staged events: $(staged)"
  timed "dbt build --full-refresh (models and every data test)" scripts/dbt.sh build --full-refresh
  full=$LAST
  timed "dbt build, nothing new" scripts/dbt.sh build
  idle=$LAST
  timed "dbt build, nothing new, as 3 invocations (one per layer)" dbt_layers
  idle3=$LAST
  stage "$new"
  timed "dbt build, +$new events (tests on the new batches)" scripts/dbt.sh build
  plus=$LAST
  timed "dbt run --full-refresh (models only)" scripts/dbt.sh run --full-refresh
  run_full=$LAST
  stage "$new"
  timed "dbt run, +$new events (models only)" scripts/dbt.sh run
  run_plus=$LAST
  timed "dbt test (every data test on the whole warehouse)" scripts/dbt.sh test
  timed "dbt's start: dbt parse, warm (partial parsing)" scripts/dbt.sh parse
  parse=$LAST
  # The floor of any dbt command that connects: start, parse, hooks.
  timed "dbt's start: a build that selects no node" scripts/dbt.sh build --select tag:no_such_tag
  floor=$LAST
  echo "  incremental build +$new / full refresh build:  $(ratio "$plus" "$full")  (goal at 1M: <= 0.250)"
  echo "  incremental run +$new / full refresh run:      $(ratio "$run_plus" "$run_full")"
  echo "  the same less dbt's start (a build of no node) from both:"
  echo "    build: $(ratio $((plus - floor)) $((full - floor)))   run: $(ratio $((run_plus - floor)) $((run_full - floor)))"
  echo "  3 invocations / 1, nothing new:                $(ratio "$idle3" "$idle")"
  run_plus_at[$events]=$run_plus
  build_plus_at[$events]=$plus
}

echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
for events in "${sizes[@]}"; do
  echo "at $events events (load average $(cut -d' ' -f1-3 /proc/loadavg)):"
  measure "$events"
done
first=${sizes[0]}
for events in "${sizes[@]:1}"; do
  echo "from $first to $events events:"
  echo "  incremental run +$new grows   $(ratio "${run_plus_at[$events]}" "${run_plus_at[$first]}")x  (goal <= 1.500)"
  echo "  incremental build +$new grows $(ratio "${build_plus_at[$events]}" "${build_plus_at[$first]}")x"
done
