#!/usr/bin/env bash
# Throughput figures on this machine, against the local stack (or the
# services in the environment): the generator publishing N events, then the
# pipeline staging the same N pre-produced events until idle. Prints the
# figures; asserts nothing (speed is measured here, not tested).
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
