"""`/health/ready` of `superstore run` through a real PostgreSQL outage under
load: the probe turns 503 naming PostgreSQL, then 200 once it is back; the
outage shows in the error and restart counters; and nothing is lost or
doubled."""

import os
import random
import subprocess
import time
from pathlib import Path

import psycopg
import pytest

from support.superstore import ROOT, end_offsets, run_superstore, stored_offsets, superstore_binary
from support.observing import (
    assert_counters_equal_the_audit_tables,
    drained,
    free_address,
    get_json,
    ready,
    scrape,
    start_run,
    stop,
    wait_for,
)

# Longer than the pool's connection timeout (10 s): a commit that starts
# during the outage waits for a connection that long before it fails and is
# counted, so a shorter outage may cost a wait and no failed commit.
OUTAGE_SECONDS = 13


def local_postgres() -> tuple[list[str], Path]:
    """How to run the local stack's `pg_ctl` (as `postgres` when we are root), and its data directory."""
    home = Path(os.environ.get("SUPERSTORE_HOME", ROOT / ".superstore"))
    cluster = Path((home / "postgres.location").read_text().strip())
    candidates = [Path(os.environ["PG_BIN_DIR"])] if os.environ.get("PG_BIN_DIR") else []
    candidates += [Path(p) for p in os.environ.get("PATH", "").split(os.pathsep)]
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True)
    pg_ctl = next(str(d / "pg_ctl") for d in candidates if (d / "pg_ctl").is_file())
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return [*prefix, pg_ctl], cluster / "data"


def unready(address: str) -> dict | None:
    """The body of /health/ready when it answers 503."""
    status, body = get_json(f"http://{address}/health/ready")
    return body if status == 503 else None


def test_postgres_outage_turns_ready_503_then_200_and_loses_or_doubles_nothing(endpoints, topic):
    if os.environ.get("DATABASE_URL"):
        pytest.skip("stops PostgreSQL: runs against the local stack only, not your own server")
    pg_ctl, data = local_postgres()
    address = free_address()
    run = start_run(topic, address, "--batch-size", "500")
    generate = None
    try:
        wait_for("the pipeline to be ready", lambda: ready(address), timeout=60)
        generate = subprocess.Popen(
            [str(superstore_binary()), "generate", "--count", "30000", "--rate", "3000",
             "--seed", str(random.randrange(1, 2**40)), "--topic", topic, "--metrics-addr", "off"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        wait_for("events to be staged", lambda: scrape(address).value("superstore_events_staged_total") > 0,
                 timeout=60)

        stopped_at = time.monotonic()
        subprocess.run([*pg_ctl, "stop", "-D", str(data), "-m", "immediate", "-w"], check=True,
                       capture_output=True)
        try:
            body = wait_for("/health/ready to answer 503", lambda: unready(address), timeout=30)
            assert body["ready"] is False and "postgres" in body["missing"], body
            time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped_at)))
        finally:
            run_superstore("up")  # starts what is not running: PostgreSQL
        wait_for("/health/ready to answer 200 again", lambda: ready(address), timeout=60)

        _, err = generate.communicate(timeout=120)
        assert generate.returncode == 0, err
        metrics = wait_for("30000 consumed and no lag", lambda: drained(address, 30_000), timeout=180)
    finally:
        if generate and generate.poll() is None:
            generate.kill()
        code, _, err = stop(run)
    assert code == 0, err

    outage = metrics.value("superstore_batch_commit_errors_total", topic=topic) + \
        metrics.value("superstore_actor_restarts_total", actor="writer")
    assert outage > 0, "the failed commits of the outage are counted"
    with psycopg.connect(endpoints["DATABASE_URL"], autocommit=True) as db:
        sums = assert_counters_equal_the_audit_tables(metrics, db, topic, endpoints["KAFKA_BOOTSTRAP_SERVERS"])
        staged = db.execute("select count(*), count(distinct event_id) from staging.sales_events "
                            "where kafka_topic = %s", (topic,)).fetchone()
        assert staged == (30_000, 30_000), "every event staged once: none lost, none doubled"
        assert sums["n_in"] == 30_000 and sums["inserted"] == 30_000
        assert stored_offsets(db, topic) == end_offsets(endpoints["KAFKA_BOOTSTRAP_SERVERS"], topic)
