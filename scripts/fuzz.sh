#!/usr/bin/env bash
# Fuzzes the path of every untrusted record for a while, at low priority,
# and prints the figures: inputs, minutes, crashes (always 0: a crash fails
# the run and prints the minimal input and the seed to replay it with
# SUPERSTORE_FUZZ_SEED). Two fuzz tests, each for the minutes given:
#   - the value: framing, Avro decoding, resolution, the domain rules, the
#     staging row (fuzz_decode_validate);
#   - the metadata the source reads: random header keys and values, keys
#     and timestamps, through librdkafka's headers, staging's JSON, the
#     timestamp's range and the COPY line (fuzz_record_metadata).
# `cargo test` runs the same tests for a few seconds; this is the long run.
#
#   scripts/fuzz.sh [minutes]    (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-10}
case "$minutes" in
  ''|*[!0-9]*) echo "usage: $0 [minutes]" >&2; exit 2 ;;
esac
for fuzz_test in fuzz_decode_validate fuzz_record_metadata; do
  SUPERSTORE_FUZZ_SECONDS=$((minutes * 60)) nice -n 19 \
    cargo test --release --locked -p superstore-actors --test "$fuzz_test" -- --nocapture \
    2>&1 | grep -E '^(fuzz:|  [a-z_]+: [0-9]+$|test result)|panicked|minimal failing input'
done
