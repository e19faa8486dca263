#!/usr/bin/env bash
# Throughput figures on this machine, against the local stack (or the
# services in the environment): the generator publishing N events, then the
# pipeline staging the same N pre-produced events until idle, then
# `superstore import` of the real dataset replicated to IMPORT_LINES lines
# (scripts/bench-import.sh). Prints the figures; asserts nothing (speed is
# measured here, not tested).
# Usage: scripts/bench.sh [N] [IMPORT_LINES]
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-100000}
bin=target/release/superstore
[ -x "$bin" ] || ./scripts/setup.sh
"$bin" up >/dev/null
topic="bench.sales.$(date +%s)"
echo "benchmark topic: $topic, $events events"
"$bin" generate --count "$events" --seed "$(date +%s)" --topic "$topic" | sed 's/^/generate: /'
"$bin" run --until-idle --topic "$topic" | sed 's/^/run:      /'
./scripts/bench-import.sh "${2:-1000000}"
