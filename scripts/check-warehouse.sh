#!/usr/bin/env bash
# Proves the warehouse idempotent: incremental builds equal a full refresh,
# row for row (tests/warehouse/test_warehouse.py), against the local stack or the
# services in the environment. Also runs source freshness and docs generate.
set -euo pipefail
cd "$(dirname "$0")/.."
export DO_NOT_TRACK=1
[ -x target/release/superstore ] && [ -x .venv/bin/dbt ] || ./scripts/setup.sh
[ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ] || target/release/superstore up >/dev/null
SUPERSTORE_BIN=$PWD/target/release/superstore exec .venv/bin/python -m pytest -ra tests/warehouse/test_warehouse.py "$@"
