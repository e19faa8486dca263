"""A restart after a crash resumes at once. Each pipeline instance is a
static member of its group (Kafka's group.instance.id, `--instance-id`,
superstore-<hostname> by default): restarted under the same id after a
kill -9, it takes its partitions back without waiting out the 45 s session
of the member it replaces. Two live instances that claim one id are told
so: the one Kafka fences stops with exit 2, naming the setting. (The other
tests run their pipelines as dynamic members: see tests/conftest.py.)"""

import signal
import threading
import time
import uuid

from support.superstore import run_superstore
from support.faults import Publisher, assert_conservation, create_topic, isolated_database, sale, stop, wait_for


def batches(isolated, topic: str) -> int:
    return isolated.scalar("select count(*) from staging.ingest_batches where topic = %s", topic)


def test_a_run_restarted_after_kill_nine_commits_within_five_seconds(endpoints, db, topic):
    create_topic(endpoints, topic, partitions=3)
    publisher = Publisher(endpoints, topic)
    first, second = [sale(n) for n in range(300)], [sale(1000 + n) for n in range(300)]
    for event in first:
        publisher.sale(event)
    publisher.flush()
    with isolated_database(db, endpoints) as isolated:
        # The default instance id, superstore-<hostname>-<topic>, as a user gets it; a group
        # of the test's own, where the static member it leaves behind holds up no other test.
        isolated.env.pop("SUPERSTORE_INSTANCE_ID")
        group = f"restart-{uuid.uuid4().hex[:8]}"
        crashed = isolated.spawn("run", "--topic", topic, "--group", group)
        staged = "select count(*) from staging.sales_events"
        wait_for(lambda: isolated.scalar(staged) == 300, 60, "the first 300 staged")
        crashed.send_signal(signal.SIGKILL)
        crashed.wait(10)
        for event in second:
            publisher.sale(event)
        publisher.flush()
        before = batches(isolated, topic)
        started = time.monotonic()
        restarted = isolated.spawn("run", "--topic", topic, "--group", group)
        try:
            wait_for(lambda: batches(isolated, topic) > before, 30, "the restarted run's first commit")
            took = time.monotonic() - started
            wait_for(lambda: isolated.scalar(staged) == 600, 60, "everything staged")
        finally:
            code, _, err = stop(restarted)
        assert code == 0, err[-3000:]
        assert took < 5, f"the restarted run committed its first batch after {took:.1f} s"
        assert err.count("partitions assigned") == 1, "one assignment, no waiting rebalance"
        assert assert_conservation(isolated, topic, 600, group) == (600, 600, 0, 0)


def test_two_live_instances_with_one_id_are_told_to_take_an_id_each(endpoints, db, topic):
    create_topic(endpoints, topic, partitions=1)
    group, twin = f"twins-{uuid.uuid4().hex[:8]}", f"twin-{uuid.uuid4().hex[:8]}"
    with isolated_database(db, endpoints) as isolated:
        args = ("run", "--topic", topic, "--group", group, "--instance-id", twin)
        older = isolated.spawn(*args)
        errors = []
        reader = threading.Thread(target=lambda: errors.extend(older.stderr), daemon=True)
        reader.start()
        wait_for(lambda: any("partitions assigned" in line for line in errors), 60, "the first instance's partitions")
        newer = isolated.spawn(*args)
        try:
            code = older.wait(60)
            reader.join(10)
            message = "".join(errors)
            assert code == 2, message[-3000:]
            assert f"same instance id {twin}" in message and "--instance-id" in message, message[-3000:]
            run_superstore("generate", "--count", "50", "--seed", "7", "--topic", topic)
            staged = "select count(*) from staging.sales_events where kafka_topic = %s"
            wait_for(lambda: isolated.scalar(staged, topic) == 50, 60, "the newer instance staging")
        finally:
            code, _, err = stop(newer)
        assert code == 0, err[-3000:]
        assert assert_conservation(isolated, topic, 50, group) == (50, 50, 0, 0)
