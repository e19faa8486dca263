"""Offsets that no longer fit the topic. PostgreSQL keeps a group's next
offsets; when the topic is deleted and created again (or records are
deleted before they were staged), resuming from them skipped records
without a word: "consumed 500, accepted 0", exit 0, and no audit row. Now
`run` refuses to start, naming the topic, the stored and the actual offsets
and the command that resets them, and `superstore offsets reset` is how an
operator moves them on purpose. PostgreSQL's offsets are never replaced by
Kafka's committed ones, even when PostgreSQL cannot be read at once."""

import random
from urllib.parse import quote

from confluent_kafka import TopicPartition
from confluent_kafka.admin import AdminClient

from support.superstore import end_offsets, run_superstore
from support.faults import (
    HeldLock,
    Publisher,
    assert_conservation,
    create_topic,
    delete_topic,
    isolated_database,
    sale,
    staged_count,
)


def seed() -> int:
    return random.randrange(1, 2**40)


def stored(isolated, topic: str) -> dict:
    return dict(isolated.rows("select partition, next_offset from staging.consumer_offsets where topic = %s", topic))


def test_a_recreated_topic_is_refused_until_an_operator_resets_its_offsets(endpoints, db, topic):
    run_superstore("generate", "--count", "1000", "--seed", str(seed()), "--topic", topic)
    with isolated_database(db, endpoints) as isolated:
        first = isolated.superstore("run", "--until-idle", "--topic", topic)
        assert first.returncode == 0, first.stderr[-3000:]
        before = stored(isolated, topic)

        delete_topic(endpoints, topic)
        run_superstore("generate", "--count", "500", "--seed", str(seed()), "--topic", topic)
        refused = isolated.superstore("run", "--until-idle", "--topic", topic)
        assert refused.returncode == 4, (refused.stdout, refused.stderr[-3000:])
        for part in (
            f"refusing to resume group superstore-staging on topic {topic}",
            "the topic was deleted and created again",
            f"stored next offset {before[0]}, but the partition holds offsets 0 to",
            f"superstore offsets reset --topic {topic} --to earliest",
        ):
            assert part in refused.stderr, f"{part!r} missing from:\n{refused.stderr[-3000:]}"
        assert stored(isolated, topic) == before, "a refused run moves no offset"
        assert staged_count(isolated, topic) == 1000
        assert isolated.superstore("offsets", "show", "--topic", topic).returncode == 4

        reset = isolated.superstore("offsets", "reset", "--topic", topic, "--to", "earliest")
        assert reset.returncode == 0, reset.stderr[-3000:]
        assert f"partition 0: {before[0]} (topic id " in reset.stdout and "-> 0" in reset.stdout, reset.stdout

        second = isolated.superstore("run", "--until-idle", "--topic", topic)
        assert second.returncode == 0, second.stderr[-3000:]
        assert second.stdout.startswith("idle: consumed 500, accepted 500, rejected 0"), second.stdout
        assert staged_count(isolated, topic) == 1500
        assert stored(isolated, topic) == end_offsets(endpoints["KAFKA_BOOTSTRAP_SERVERS"], topic)
        assert assert_conservation(isolated, topic, 1500) == (1500, 1500, 0, 0)


def test_records_deleted_before_they_were_staged_are_not_skipped_silently(endpoints, db, topic):
    create_topic(endpoints, topic, partitions=1)
    publisher = Publisher(endpoints, topic)
    for n in range(100):
        publisher.sale(sale(n))
    publisher.flush()
    with isolated_database(db, endpoints) as isolated:
        assert isolated.superstore("run", "--until-idle", "--topic", topic).returncode == 0
        for n in range(100, 200):
            publisher.sale(sale(n))
        publisher.flush()
        admin = AdminClient({"bootstrap.servers": endpoints["KAFKA_BOOTSTRAP_SERVERS"]})
        for future in admin.delete_records([TopicPartition(topic, 0, 150)]).values():
            future.result(timeout=30)

        refused = isolated.superstore("run", "--until-idle", "--topic", topic)
        assert refused.returncode == 4, (refused.stdout, refused.stderr[-3000:])
        assert "partition 0: stored next offset 100, but the partition now starts at 150" in refused.stderr
        assert "offsets 100 to 149 were never staged" in refused.stderr
        assert stored(isolated, topic) == {0: 100}

        reset = isolated.superstore("offsets", "reset", "--topic", topic, "--to", "earliest")
        assert "partition 0: 100 (topic id" in reset.stdout and "-> 150" in reset.stdout, reset.stdout
        after = isolated.superstore("run", "--until-idle", "--topic", topic)
        assert after.stdout.startswith("idle: consumed 50, accepted 50"), after.stdout
        assert assert_conservation(isolated, topic, 150) == (150, 150, 0, 0)


def test_offsets_postgres_cannot_read_yet_are_waited_for_never_taken_from_kafka(endpoints, db, topic):
    count = 300
    run_superstore("generate", "--count", str(count), "--seed", str(seed()), "--topic", topic)
    with isolated_database(db, endpoints) as isolated:
        assert isolated.superstore("run", "--until-idle", "--topic", topic).returncode == 0
        # Kafka's committed offsets are at the end now. An operator asks for a replay:
        reset = isolated.superstore("offsets", "reset", "--topic", topic, "--to", "earliest")
        assert reset.returncode == 0, reset.stderr

        holder = HeldLock(isolated, "lock table staging.consumer_offsets in access exclusive mode", 5)
        url = f"{isolated.url}?options={quote('-c lock_timeout=200')}"
        replay = isolated.superstore("run", "--until-idle", "--topic", topic, env={"DATABASE_URL": url})
        holder.join()
        assert replay.returncode == 0, replay.stderr[-3000:]
        assert "cannot read the stored offsets; retrying" in replay.stderr
        # From PostgreSQL's offsets (the replay), not Kafka's (the end): every record again.
        assert replay.stdout.startswith(f"idle: consumed {count}, accepted 0, rejected 0, duplicates {count}"), replay.stdout
        assert assert_conservation(isolated, topic, 2 * count) == (2 * count, count, 0, count)
