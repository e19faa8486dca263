#!/usr/bin/env bash
# The test command: checks the house rules first (they fail fast), sets
# everything up, starts the local stack (or uses the services named by
# KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL and SCHEMA_REGISTRY_URL), checks that
# the Diesel schema is what the migrations give, builds the book and checks its links, and
# runs every test suite:
# Rust unit and integration tests, the alert rules' unit tests (promtool),
# then the end-to-end, interop and observability tests with pytest.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
export DO_NOT_TRACK=1

printf '\033[1m==> house rules: rustfmt, line length and crate boundaries\033[0m\n'
cargo fmt --all --check
./scripts/check-style.sh

./scripts/setup.sh
printf '\033[1m==> house rules: clippy, warnings denied\033[0m\n'
cargo clippy --workspace --all-targets --locked -- -D warnings

printf '\033[1m==> the book: mdbook build, internal links checked\033[0m\n'
./scripts/book.sh

printf '\033[1m==> alert rules: promtool check and unit tests; the compose Prometheus config\033[0m\n'
promtool check rules deploy/prometheus/alerts.yml
promtool test rules deploy/prometheus/alerts.test.yml
promtool check config deploy/prometheus/prometheus.yml

bin=target/release/superstore

stop_stack() { "$bin" down >/dev/null 2>&1 || true; }
if [ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then
  "$bin" status >/dev/null 2>&1 || trap stop_stack EXIT
  "$bin" up
  database_url=$(local_stack_database_url)
else
  database_url=$DATABASE_URL
fi

printf '\033[1m==> Diesel schema: database/src/schema against migrations/\033[0m\n'
DATABASE_URL=$database_url ./scripts/schema.sh --check

printf '\033[1m==> Apache Avro verdicts on the compatibility corpus (the Java checker, re-run)\033[0m\n'
./scripts/avro-verdicts.sh --check

printf '\033[1m==> Rust tests\033[0m\n'
DATABASE_URL=$database_url cargo test --release --locked --workspace

printf '\033[1m==> the benchmark, a smoke run: every figure is measured (speed is not tested)\033[0m\n'
./scripts/bench.sh --smoke

printf '\033[1m==> end-to-end, interop, metrics, dashboard, warehouse and compose tests\033[0m\n'
# tests/analytics needs the built marts: it runs after the DAG, below.
SUPERSTORE_BIN=$PWD/$bin .venv/bin/python -m pytest -ra tests --ignore=tests/analytics \
  --ignore=tests/cluster/test_cluster_failover.py --ignore=tests/warehouse/test_airflow_schedule.py

# A stack of its own with 3 brokers (SUPERSTORE_CLUSTER_TEST_PORT); -s prints the figures.
printf '\033[1m==> failover on a 3-broker Kafka cluster: two kill -9, exactly once, stalls measured\033[0m\n'
SUPERSTORE_BIN=$PWD/$bin .venv/bin/python -m pytest -ra -s tests/cluster/test_cluster_failover.py

# The DAG checks run in a pytest session of their own: they set AIRFLOW_HOME
# before Airflow is imported.
printf '\033[1m==> Airflow DAGs: DagBag tests, import errors, a real run of each against the stack\033[0m\n'
.venv/bin/python -m pytest -ra airflow/tests
./scripts/airflow.sh dags list-import-errors -l
./scripts/airflow.sh dags test superstore_warehouse
./scripts/airflow.sh dags test superstore_warehouse_full_tests
# Airflow's own scheduler, dag-processor and API server (API port
# SUPERSTORE_AIRFLOW_TEST_PORT), the DAG every minute on a warehouse of its own.
printf '\033[1m==> Airflow scheduler: two scheduled runs, the second incremental\033[0m\n'
SUPERSTORE_BIN=$PWD/$bin .venv/bin/python -m pytest -ra tests/warehouse/test_airflow_schedule.py

# The analysts' side, on the marts the DAG run has just built.
printf '\033[1m==> analysis: the notebooks executed to HTML\033[0m\n'
SUPERSTORE_BIN=$PWD/$bin .venv/bin/python -m pytest -ra -s tests/analytics/test_notebooks.py
printf '\033[1m==> analysis: Superset installed, provisioned and checked in headless Chromium\033[0m\n'
SUPERSTORE_BIN=$PWD/$bin .venv/bin/python -m pytest -ra -s tests/analytics/test_superset.py
