#!/usr/bin/env bash
# Throughput of `superstore import` on this machine, against the local stack
# (or the services in the environment): the real Superstore dataset
# replicated with fresh Row IDs into a CSV file of at least LINES lines
# (1,000,000 by default), imported into a topic of its own. Prints the
# import's closing line, with its lines/s; asserts nothing (speed is
# measured here, not tested). Called by scripts/bench.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-1000000}
bin=target/release/superstore
[ -x "$bin" ] || ./scripts/setup.sh
source_csv=data/superstore/superstore.csv
[ -f "$source_csv" ] || ./scripts/fetch-dataset.sh
[ -f "$source_csv" ] || { echo "bench-import: $source_csv is missing and cannot be fetched" >&2; exit 1; }
"$bin" up >/dev/null

bench_dir="${SUPERSTORE_HOME:-.superstore}/bench"
mkdir -p "$bench_dir"
big="$bench_dir/superstore-$lines.csv"
if [ ! -s "$big" ]; then
  python3 - "$source_csv" "$big" "$lines" <<'PY'
import csv, sys
source, target, wanted = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(source, newline="", encoding="utf-8") as f:
    header, *body = list(csv.reader(f))
with open(target, "w", newline="", encoding="utf-8") as out:
    writer = csv.writer(out)
    writer.writerow(header)
    row_id = 0
    while row_id < wanted:
        for row in body:  # whole copies of the dataset, each line with a fresh Row ID
            row_id += 1
            writer.writerow([row_id, *row[1:]])
PY
fi
stamp=$(date +%s)
echo "import benchmark: $(($(wc -l < "$big") - 1)) lines in $big, topic bench.import.$stamp"
"$bin" import "$big" --topic "bench.import.$stamp" --dataset "bench-$stamp" | sed 's/^/import:   /'
