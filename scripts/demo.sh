#!/usr/bin/env bash
# The main job on the embedded default stack, the whole story:
#   1. set up and bring the local stack up;
#   2. publish sale events (with a few duplicates and invalid ones, as real feeds have);
#   3. run the pipeline until the topic is drained into staging;
#   4. build the warehouse with the Airflow DAG (`airflow dags test`);
#   5. print what landed: staging counts and a short mart summary.
# Safe to run again: each run publishes new events and builds incrementally.
# It assumes nothing that an earlier command leaves behind: every folder it
# writes into is created here.
set -euo pipefail
cd "$(dirname "$0")/.."
export DO_NOT_TRACK=1 SCARF_NO_ANALYTICS=true AIRFLOW__USAGE_DATA_COLLECTION__ENABLED=False

./scripts/setup.sh
bin=target/release/superstore

"$bin" up
"$bin" generate --count "${DEMO_EVENTS:-20000}" --duplicate-ratio 0.05 --invalid-ratio 0.02
"$bin" run --until-idle

# The DAG's log goes under the stack's home, which `up` has just created;
# its own folder is created here, not left to whichever command ran first.
log_dir="${SUPERSTORE_HOME:-.superstore}/logs"
mkdir -p "$log_dir"
dag_log="$log_dir/demo-dag-run.log"
printf '\033[1m==> building the warehouse: airflow dags test superstore_warehouse\033[0m\n'
./scripts/airflow.sh dags test superstore_warehouse > "$dag_log" 2>&1 \
  || { tail -n 40 "$dag_log"; echo "the DAG run failed; its whole log is in $dag_log" >&2; exit 1; }
echo "DAG run succeeded (log: $dag_log)"

eval "$("$bin" env)"
.venv/bin/python scripts/summary.py
