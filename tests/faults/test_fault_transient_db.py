"""Transient database errors while a batch is written: a lock held past the
pipeline's `lock_timeout` or `statement_timeout`, its connection terminated
by an administrator, the database switched to read-only. None of them is a
refusal of the batch's rows: only data errors (SQLSTATE classes 22 and 23,
for the one row that causes them) quarantine, as `refused_by_database`;
these are retried with backoff until they pass, and nothing is quarantined
or lost."""

import subprocess
import time
from urllib.parse import quote

import pytest

from support.faults import (
    SHARE_LOCK_ON_SALES,
    HeldLock,
    Publisher,
    assert_conservation,
    create_topic,
    isolated_database,
    sale,
    staged_count,
    wait_for,
)

EVENTS = 300


def publish(endpoints, topic: str, count: int = EVENTS) -> None:
    create_topic(endpoints, topic, partitions=1)
    publisher = Publisher(endpoints, topic)
    for n in range(count):
        publisher.sale(sale(n))
    publisher.flush()


def with_options(url: str, options: str) -> str:
    """The URL with libpq `options` (server settings for the session)."""
    return f"{url}{'&' if '?' in url else '?'}options={quote(options)}"


def finished(process: subprocess.Popen, timeout: int = 180) -> subprocess.CompletedProcess:
    out, err = process.communicate(timeout=timeout)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def assert_every_event_staged_once(isolated, topic: str, result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith(f"idle: consumed {EVENTS}, accepted {EVENTS}, rejected 0"), result.stdout
    assert isolated.scalar("select count(*) from staging.rejected_events") == 0, "nothing is quarantined"
    assert staged_count(isolated, topic) == EVENTS
    assert assert_conservation(isolated, topic, EVENTS) == (EVENTS, EVENTS, 0, 0)


@pytest.mark.parametrize("setting", ["lock_timeout=200", "statement_timeout=300"])
def test_a_lock_held_past_the_pipelines_timeout_is_waited_out_not_quarantined(endpoints, db, topic, setting):
    publish(endpoints, topic)
    with isolated_database(db, endpoints) as isolated:
        holder = HeldLock(isolated, SHARE_LOCK_ON_SALES, 8)
        url = with_options(isolated.url, f"-c {setting}")
        result = isolated.superstore("run", "--until-idle", "--topic", topic, env={"DATABASE_URL": url}, timeout=180)
        holder.join()
        assert "canceling statement due to" in result.stderr, "the timeout was hit, and retried"
        assert_every_event_staged_once(isolated, topic, result)


def test_a_terminated_connection_is_replaced_and_the_batch_retried(endpoints, db, topic):
    publish(endpoints, topic)
    with isolated_database(db, endpoints) as isolated:
        holder = HeldLock(isolated, SHARE_LOCK_ON_SALES, 6)
        pipeline = isolated.spawn("run", "--until-idle", "--topic", topic)
        waiting = "select pid from pg_stat_activity where datname = %s and wait_event_type = 'Lock'"
        pids = wait_for(lambda: isolated.rows(waiting, isolated.name), 60, "the pipeline's insert to wait on the lock")
        for (pid,) in pids:
            isolated.rows("select pg_terminate_backend(%s)", pid)
        holder.join()
        result = finished(pipeline)
        assert 'actor failed actor="writer" failures=1' in result.stderr, "the write failed, and was retried"
        assert_every_event_staged_once(isolated, topic, result)


def test_a_read_only_database_is_retried_until_it_is_writable_again(endpoints, db, topic):
    publish(endpoints, topic)
    with isolated_database(db, endpoints) as isolated:
        db.execute(f"alter database {isolated.name} set default_transaction_read_only = on")
        pipeline = isolated.spawn("run", "--until-idle", "--topic", topic)
        try:
            time.sleep(4)
            assert pipeline.poll() is None, "the pipeline waits while the database is read-only"
        finally:
            db.execute(f"alter database {isolated.name} reset default_transaction_read_only")
        result = finished(pipeline)
        assert "read-only transaction" in result.stderr, "the writes were refused while it was read-only"
        assert_every_event_staged_once(isolated, topic, result)
