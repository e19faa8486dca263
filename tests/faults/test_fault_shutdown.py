"""Stopping is bounded, whatever holds the commit. A SIGTERM waits for the
open batch to commit for at most --shutdown-timeout-secs; past it the
writer's session is ended (its transaction rolled back whole) and the run
exits 7. A second SIGINT or SIGTERM aborts at once. A registry that stops
answering (SIGSTOP) ends the run with exit 5 instead of stalling it for
good. After each, the next run stages everything exactly once."""

import os
import signal
import subprocess
import threading
import time

from support.superstore import ROOT, superstore_binary
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

EVENTS = 200


def publish(endpoints, topic: str) -> None:
    create_topic(endpoints, topic, partitions=1)
    publisher = Publisher(endpoints, topic)
    for n in range(EVENTS):
        publisher.sale(sale(n))
    publisher.flush()


def waiting_on_a_lock(isolated) -> int:
    return isolated.scalar("select count(*) from pg_locks where not granted and database = "
                           "(select oid from pg_database where datname = current_database())")


def exit_within(process: subprocess.Popen, seconds: float) -> tuple[int, str, str, float]:
    started = time.monotonic()
    out, err = process.communicate(timeout=seconds)
    return process.returncode, out, err, time.monotonic() - started


def assert_staged_once_by_a_new_run(isolated, topic: str) -> None:
    again = isolated.superstore("run", "--until-idle", "--topic", topic)
    assert again.returncode == 0, again.stderr[-3000:]
    assert staged_count(isolated, topic) == EVENTS
    assert assert_conservation(isolated, topic, EVENTS) == (EVENTS, EVENTS, 0, 0)


def test_a_second_sigterm_aborts_a_blocked_shutdown_at_once(endpoints, db, topic):
    publish(endpoints, topic)
    with isolated_database(db, endpoints) as isolated:
        lock = HeldLock(isolated, SHARE_LOCK_ON_SALES)
        try:
            run = isolated.spawn("run", "--topic", topic, "--shutdown-timeout-secs", "120")
            wait_for(lambda: waiting_on_a_lock(isolated) > 0, 60, "the commit waiting on the lock")
            run.send_signal(signal.SIGTERM)
            time.sleep(1)
            assert run.poll() is None, "the first signal waits for the open batch"
            run.send_signal(signal.SIGTERM)
            code, _, err, took = exit_within(run, 10)
            assert code == 143, err[-3000:]
            assert took < 5, f"the second signal took {took:.1f} s"
            assert "second signal: aborting" in err
            assert staged_count(isolated, topic) == 0, "nothing of the open batch was committed"
        finally:
            lock.let_go()
        assert_staged_once_by_a_new_run(isolated, topic)


def test_a_commit_held_past_the_shutdown_bound_is_rolled_back_and_exits_7(endpoints, db, topic):
    publish(endpoints, topic)
    with isolated_database(db, endpoints) as isolated:
        lock = HeldLock(isolated, SHARE_LOCK_ON_SALES)
        try:
            # The lock timeout outlasts the bound: only the bound can end the wait.
            run = isolated.spawn("run", "--topic", topic, "--shutdown-timeout-secs", "3",
                                 "--lock-timeout-ms", "120000")
            wait_for(lambda: waiting_on_a_lock(isolated) > 0, 60, "the commit waiting on the lock")
            run.send_signal(signal.SIGTERM)
            code, out, err, took = exit_within(run, 30)
            assert code == 7, err[-3000:]
            assert 3 <= took < 10, f"stopped after {took:.1f} s with a bound of 3 s"
            assert "rolled back whole (its database session was ended)" in err, err[-3000:]
            assert waiting_on_a_lock(isolated) == 0, "the writer's session no longer waits"
            assert staged_count(isolated, topic) == 0
        finally:
            lock.let_go()
        assert_staged_once_by_a_new_run(isolated, topic)


def test_a_lock_timeout_of_the_pipelines_own_is_retried_not_quarantined(endpoints, db, topic):
    publish(endpoints, topic)
    with isolated_database(db, endpoints) as isolated:
        lock = HeldLock(isolated, SHARE_LOCK_ON_SALES)
        threading.Timer(4, lock.let_go).start()
        result = isolated.superstore("run", "--until-idle", "--topic", topic, "--lock-timeout-ms", "300")
        assert result.returncode == 0, result.stderr[-3000:]
        assert "canceling statement due to lock timeout" in result.stderr
        assert isolated.scalar("select count(*) from staging.rejected_events") == 0
        assert assert_conservation(isolated, topic, EVENTS) == (EVENTS, EVENTS, 0, 0)


def test_a_registry_that_stops_answering_ends_the_run_with_exit_5(endpoints, db, topic):
    """The decoder's registry requests each run into the client's 15 s
    timeout: counted by number alone, they never filled the supervision
    window, and the run stalled for good."""
    create_topic(endpoints, topic, partitions=1)
    port = int(os.environ.get("SUPERSTORE_STALL_TEST_REGISTRY_PORT", "27391"))
    registry = subprocess.Popen(
        [str(superstore_binary()), "registry", "--bind", f"127.0.0.1:{port}"], cwd=ROOT,
        env={**os.environ, **endpoints}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with isolated_database(db, endpoints) as isolated:
            env = {"SCHEMA_REGISTRY_URL": f"http://127.0.0.1:{port}"}
            wait_for(lambda: isolated.superstore("schemas", "list", env=env).returncode == 0, 30,
                     "the second registry to answer")
            run = isolated.spawn("run", "--topic", topic, "--restart-window-secs", "5", env=env)
            stderr = []
            reader = threading.Thread(target=lambda: stderr.extend(run.stderr), daemon=True)
            reader.start()
            wait_for(lambda: any("pipeline running" in line for line in stderr), 60, "the run to start")
            registry.send_signal(signal.SIGSTOP)
            publisher = Publisher(endpoints, topic)
            for n in range(10):
                publisher.sale(sale(n))
            publisher.flush()
            started = time.monotonic()
            code = run.wait(90)
            took = time.monotonic() - started
            reader.join(10)
            err = "".join(stderr)
            assert code == 5, err[-3000:]
            assert "the decoder failed" in err and "schema registry" in err, err[-3000:]
            assert took < 60, f"the stalled run took {took:.0f} s to stop"
            assert staged_count(isolated, topic) == 0
    finally:
        registry.send_signal(signal.SIGCONT)
        registry.terminate()
        registry.wait(10)
