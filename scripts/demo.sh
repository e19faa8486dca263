#!/usr/bin/env bash
# The main job on the embedded default stack: set up, bring the local stack
# up, publish sale events (with a few duplicates and invalid ones, as real
# feeds have), run the pipeline until the topic is drained, and print what
# landed in staging. Safe to run again: each run publishes new events.
set -euo pipefail
cd "$(dirname "$0")/.."
export DO_NOT_TRACK=1

./scripts/setup.sh
bin=target/release/superstore

"$bin" up
"$bin" generate --count "${DEMO_EVENTS:-20000}" --duplicate-ratio 0.05 --invalid-ratio 0.02
"$bin" run --until-idle

eval "$("$bin" env)"
.venv/bin/python - <<'PY'
import os
import psycopg

with psycopg.connect(os.environ["DATABASE_URL"]) as db:
    q = lambda sql: db.execute(sql).fetchall()
    [(events, sales)] = q("select count(*), coalesce(sum(sales), 0) from staging.sales_events")
    [(batches, n_in, inserted, rejected, duplicates)] = q(
        "select count(*), coalesce(sum(n_in), 0), coalesce(sum(n_inserted), 0), "
        "coalesce(sum(n_rejected), 0), coalesce(sum(n_duplicate), 0) from staging.ingest_batches"
    )
    print(f"\nstaging.sales_events: {events} events, {sales} USD of sales")
    print(f"staging.ingest_batches: {batches} batches; consumed {n_in} = inserted {inserted} + rejected {rejected} + duplicates {duplicates}")
    print("staging.rejected_events by reason:")
    for reason, n in q("select reason, count(*) from staging.rejected_events group by 1 order by 2 desc, 1"):
        print(f"  {reason:<30} {n}")
PY
