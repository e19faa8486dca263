#!/usr/bin/env bash
# The performance benchmark, in one run on the same rows (scripts/bench.py
# says how each figure is taken): the ceilings (a bare rdkafka consumer, raw
# binary COPY into table shapes that differ by one index or column each, one
# INSERT per event), the pipeline end to end with its ratio to each,
# start-up, latency at a fixed rate, peak RSS, the generator's rate, and
# where the time goes per stage. Prints the
# figures; asserts nothing but, with --smoke (a tiny run, part of
# scripts/test.sh), that every figure was measured.
# With --preload N, staging holds N events first; --curve N1,N2,... prints
# the pipeline's figures on an empty staging and at each size, in one run;
# --returns SHARE, the sale throughput with returns of SHARE of the orders
# against sales alone (four runs of each, A B B A A B B A, on an emptied staging).
# Usage: scripts/bench.sh [--events N] [--smoke] [--preload N] [--curve N1,N2,...]
#                         [--returns SHARE]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/superstore
[ -x "$bin" ] && [ -x .venv/bin/python ] || ./scripts/setup.sh
# Always the binary of this checkout, never one built before a change.
cargo build --quiet --release --locked --bin superstore --example bench_stages
[ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ] || "$bin" up >/dev/null
exec .venv/bin/python scripts/bench.py "$@"
