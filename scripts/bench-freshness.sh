#!/usr/bin/env bash
# How fresh the marts are: while `superstore run` stages what the generator
# publishes at a fixed rate, Airflow's own scheduler (`scripts/airflow.sh
# standalone`) builds the warehouse every minute; per event, the time from
# its Kafka timestamp to its first appearance in marts.daily_sales (p50,
# p99). scripts/bench_freshness.py says how each figure is taken. Uses
# databases of its own (superstore_freshness, and superstore_freshness_airflow
# for Airflow's metadata) on the local stack's cluster, and Airflow's API
# port SUPERSTORE_AIRFLOW_PORT (18080). Prints figures only.
# Usage: scripts/bench-freshness.sh [--rate EVENTS_PER_SECOND] [--minutes M]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/superstore
[ -x "$bin" ] && [ -x .venv/bin/python ] || ./scripts/setup.sh
# Always the binary of this checkout, never one built before a change.
cargo build --quiet --release --locked --bin superstore
[ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ] || "$bin" up >/dev/null
exec .venv/bin/python scripts/bench_freshness.py "$@"
