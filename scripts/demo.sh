#!/usr/bin/env bash
# The main job on the embedded default stack: set up, bring the local stack
# up, and publish a day's worth of sale events (with a few duplicates and
# invalid ones, as real feeds have). Safe to run again: the stack is reused.
set -euo pipefail
cd "$(dirname "$0")/.."
export DO_NOT_TRACK=1

./scripts/setup.sh
bin=target/release/superstore

"$bin" up
"$bin" generate --count "${DEMO_EVENTS:-10000}" --duplicate-ratio 0.05 --invalid-ratio 0.02
"$bin" status
