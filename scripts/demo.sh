#!/usr/bin/env bash
# The main job on the embedded default stack, the whole story:
#   1. set up (which fetches the real Superstore dataset) and bring the local stack up;
#   2. import the real dataset (9,994 order lines, 2014-2017) from its CSV file;
#   3. stream synthetic sale events on top (with a few duplicates and invalid
#      ones, as real feeds have, and returns of 6% of the orders);
#   4. run the pipeline until the topic is drained into staging;
#   5. build the warehouse with the Airflow DAG (`airflow dags test`);
#   6. print what landed: staging counts and a short mart summary over both,
#      net sales included.
# Safe to run again: the import is then staged as duplicates (nothing new),
# each run streams new synthetic events, and the warehouse builds incrementally.
# It assumes nothing that an earlier command leaves behind: every folder it
# writes into is created here.
set -euo pipefail
cd "$(dirname "$0")/.."
export DO_NOT_TRACK=1 SCARF_NO_ANALYTICS=true AIRFLOW__USAGE_DATA_COLLECTION__ENABLED=False

./scripts/setup.sh
bin=target/release/superstore

"$bin" up

dataset=data/superstore/superstore.csv
if [ -f "$dataset" ]; then
  printf '\033[1m==> importing the real Superstore dataset: superstore import %s\033[0m\n' "$dataset"
  "$bin" import "$dataset"
else
  printf '\033[1;31m==> SKIPPING the import of the real Superstore dataset: %s is missing.\033[0m\n' "$dataset" >&2
  printf '\033[1;31m    Set-up could not fetch it (see its message above); run scripts/fetch-dataset.sh once online.\n    The demo goes on with synthetic events only.\033[0m\n' >&2
fi
printf '\033[1m==> streaming synthetic events on top: superstore generate\033[0m\n'
"$bin" generate --count "${DEMO_EVENTS:-20000}" --duplicate-ratio 0.05 --invalid-ratio 0.02 \
  --return-ratio 0.06
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
