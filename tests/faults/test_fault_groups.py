"""A second consumer group, or a replay, reading records a first group has
already staged and quarantined. The quarantine was keyed by coordinates
only, so the second group's batch failed on the unique key, was retried for
ever, stored no offset, and ignored SIGTERM. Each group now quarantines the
records once under its own name, and both finish with exact counts."""

import random

from support.superstore import end_offsets, run_superstore
from support.faults import assert_conservation, isolated_database, stop, wait_for


def stored(isolated, topic: str, group: str) -> dict:
    rows = isolated.rows(
        "select partition, next_offset from staging.consumer_offsets where group_id = %s and topic = %s",
        group,
        topic,
    )
    return dict(rows)


def test_a_second_group_reads_what_the_first_quarantined_and_both_finish_exactly(endpoints, db, topic):
    seed = random.randrange(1, 2**40)
    run_superstore("generate", "--count", "2000", "--seed", str(seed), "--topic", topic, "--invalid-ratio", "0.05")
    with isolated_database(db, endpoints) as isolated:
        first = isolated.superstore("run", "--until-idle", "--topic", topic, timeout=120)
        assert first.returncode == 0, first.stderr[-3000:]
        assert first.stdout.startswith("idle: consumed 2000, accepted 1900, rejected 100, duplicates 0"), first.stdout

        second = isolated.superstore("run", "--until-idle", "--topic", topic, "--group", "other", timeout=120)
        assert second.returncode == 0, second.stderr[-3000:]
        # The events are staged already: the second group finds them as duplicates,
        # and quarantines the invalid ones under its own name.
        assert second.stdout.startswith("idle: consumed 2000, accepted 0, rejected 100, duplicates 1900"), second.stdout

        assert assert_conservation(isolated, topic, 2000) == (2000, 1900, 100, 0)
        assert assert_conservation(isolated, topic, 2000, group="other") == (2000, 0, 100, 1900)
        ends = end_offsets(endpoints["KAFKA_BOOTSTRAP_SERVERS"], topic)
        assert stored(isolated, topic, "superstore-staging") == ends
        assert stored(isolated, topic, "other") == ends

        # A third group, running until a signal: it stages its offsets and stops on SIGTERM.
        third = isolated.spawn("run", "--topic", topic, "--group", "third")
        wait_for(lambda: stored(isolated, topic, "third") == ends, 90, "the third group to reach the end")
        code, out, err = stop(third, timeout=30)
        assert code == 0, err[-3000:]
        assert out.startswith("stopped: consumed 2000, accepted 0, rejected 100, duplicates 1900"), out
        assert assert_conservation(isolated, topic, 2000, group="third") == (2000, 0, 100, 1900)


def test_a_replay_by_the_same_group_quarantines_nothing_twice(endpoints, db, topic):
    seed = random.randrange(1, 2**40)
    run_superstore("generate", "--count", "500", "--seed", str(seed), "--topic", topic, "--invalid-ratio", "0.1")
    with isolated_database(db, endpoints) as isolated:
        first = isolated.superstore("run", "--until-idle", "--topic", topic, timeout=120)
        assert first.returncode == 0, first.stderr[-3000:]
        # An operator rewinds the group to replay the topic (what `offsets reset` does).
        isolated.rows(
            "update staging.consumer_offsets set next_offset = 0 where topic = %s returning partition", topic
        )
        replay = isolated.superstore("run", "--until-idle", "--topic", topic, timeout=120)
        assert replay.returncode == 0, replay.stderr[-3000:]
        assert replay.stdout.startswith("idle: consumed 500, accepted 0, rejected 0, duplicates 500"), replay.stdout
        n_in, inserted, rejected, duplicates = assert_conservation(isolated, topic, 1000)
        assert (inserted, rejected, duplicates) == (450, 50, 500)
