"""The dead-letter topic. Every quarantined record is also published to
`<topic>.dlq` with its original key, value, headers and timestamp, plus
headers that say why and where it came from; staging is the exactly-once
side (the quarantine row is written with the batch), the dead-letter topic
is at-least-once (an outbox: a row is marked once Kafka acknowledged it,
and sent again until then). `superstore replay --from-dlq` re-publishes
dead letters an operator has fixed. Staged events keep their Kafka
timestamp and headers too."""

import base64
import datetime as dt
import uuid

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource

from support.faults import Publisher, assert_conservation, create_topic, isolated_database, sale, staged_count, stop, wait_for

T0 = 1_764_400_000_000  # record timestamps of our choosing (ms)


def read_topic(endpoints, topic: str) -> list:
    """Every record of `topic` as (key, value, headers, timestamp ms, offset)."""
    consumer = Consumer({
        "bootstrap.servers": endpoints["KAFKA_BOOTSTRAP_SERVERS"],
        "group.id": f"dlq-reader-{uuid.uuid4()}",
        "enable.auto.commit": False,
    })
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10) for p in partitions}
        consumer.assign([TopicPartition(topic, p, low) for p, (low, high) in ends.items() if high > low])
        wanted = sum(high - low for low, high in ends.values())
        records = []
        while len(records) < wanted:
            message = consumer.poll(10)
            assert message is not None, f"{topic}: {len(records)} of {wanted} records read"
            assert message.error() is None, message.error()
            records.append((message.key(), message.value(), message.headers() or [], message.timestamp()[1], message.offset()))
        return records
    finally:
        consumer.close()


def publish_mixed(endpoints, topic: str) -> tuple[list, dict]:
    """5 valid sales and 4 records the pipeline refuses, each with headers and a timestamp."""
    create_topic(endpoints, topic, partitions=1)
    publisher = Publisher(endpoints, topic)
    valid = [sale(n) for n in range(5)]
    refused = {
        b"garbage": (b"not avro", "not_confluent_framed"),
        b"tombstone": (None, "missing_value"),
        b"no-quantity": (publisher.serialize(sale(90, quantity=0)), "quantity_out_of_range"),
        b"nul": (publisher.serialize(sale(91, product={"product_id": "P", "product_name": "A\x00B",
                                                       "category": "TECHNOLOGY", "sub_category": "Phones"})),
                 "refused_by_database"),
    }
    n = 0
    for key, (value, _) in refused.items():
        publisher.raw(key, value, headers=[("trace-id", f"t-{n}".encode()), ("empty", None)], timestamp=T0 + n)
        n += 1
    for event in valid:
        publisher.sale(event, headers=[("trace-id", b"ok")], timestamp=T0 + 100)
    publisher.flush()
    return valid, refused


def test_every_quarantined_record_reaches_the_dead_letter_topic_as_it_came(endpoints, db, topic):
    valid, refused = publish_mixed(endpoints, topic)
    with isolated_database(db, endpoints) as isolated:
        result = isolated.superstore("run", "--until-idle", "--topic", topic)
        assert result.returncode == 0, result.stderr[-3000:]
        assert "dead letters: 4 published, 0 waiting" in result.stdout, result.stdout

        letters = read_topic(endpoints, f"{topic}.dlq")
        assert len(letters) == 4, "each quarantined record once"
        source_offsets = {}
        for key, value, headers, timestamp, _ in letters:
            expected_value, reason = refused[key]
            assert value == expected_value, "the original value, byte for byte"
            own = [(k, v) for k, v in headers if not k.startswith("superstore.")]
            ours = {k: v.decode() for k, v in headers if k.startswith("superstore.dlq.")}
            assert own[0][0] == "trace-id" and own[1] == ("empty", None), own
            assert timestamp == T0 + int(own[0][1].decode().removeprefix("t-")), "the original timestamp"
            assert ours["superstore.dlq.reason"] == reason
            assert ours["superstore.dlq.detail"], "the detail says what was wrong"
            assert ours["superstore.dlq.topic"] == topic and ours["superstore.dlq.partition"] == "0"
            assert ours["superstore.dlq.group"] == "superstore-staging"
            source_offsets[key] = int(ours["superstore.dlq.offset"])
        assert sorted(source_offsets.values()) == [0, 1, 2, 3]
        assert isolated.scalar(
            "select count(*) from staging.rejected_events where dlq_published_at is null"
        ) == 0, "every quarantine row is marked published"

        staged = isolated.rows(
            "select kafka_timestamp, kafka_headers from staging.sales_events where kafka_topic = %s", topic
        )
        assert len(staged) == 5
        for timestamp, headers in staged:
            assert timestamp == dt.datetime.fromtimestamp((T0 + 100) / 1000, tz=dt.timezone.utc)
            assert headers == [{"key": "trace-id", "value": base64.b64encode(b"ok").decode()}]
        assert assert_conservation(isolated, topic, 9) == (9, 5, 4, 0)


def test_a_dead_letter_topic_that_refuses_writes_loses_no_quarantine_row(endpoints, db, topic):
    dlq = f"{topic}.dlq"
    create_topic(endpoints, dlq, partitions=1, config={"max.message.bytes": "64"})
    valid, refused = publish_mixed(endpoints, topic)
    with isolated_database(db, endpoints) as isolated:
        result = isolated.superstore("run", "--until-idle", "--topic", topic)
        assert result.returncode == 0, result.stderr[-3000:]
        assert "waiting in staging to be sent again" in result.stdout, result.stdout
        waiting = "select count(*) from staging.rejected_events where dlq_published_at is null"
        assert isolated.scalar(waiting) >= 3, "the rows the topic refused wait in staging"
        assert assert_conservation(isolated, topic, 9) == (9, 5, 4, 0)

        admin = AdminClient({"bootstrap.servers": endpoints["KAFKA_BOOTSTRAP_SERVERS"]})
        fix = ConfigResource("topic", dlq, incremental_configs=[
            ConfigEntry("max.message.bytes", "1048576", incremental_operation=AlterConfigOpType.SET)
        ])
        for future in admin.incremental_alter_configs([fix]).values():
            future.result(timeout=30)

        again = isolated.superstore("run", "--until-idle", "--topic", topic)
        assert again.returncode == 0, again.stderr[-3000:]
        assert again.stdout.startswith("idle: consumed 0"), again.stdout
        assert isolated.scalar(waiting) == 0
        keys = sorted(key for key, *_ in read_topic(endpoints, dlq))
        assert keys == sorted(refused), "every quarantined record reached the topic, once"
        assert assert_conservation(isolated, topic, 9) == (9, 5, 4, 0)


def test_replay_from_the_dead_letter_topic_stages_what_a_fix_now_accepts(endpoints, db, topic):
    create_topic(endpoints, topic, partitions=1)
    publisher = Publisher(endpoints, topic)
    ordinary = [sale(n) for n in range(20)]
    blocked = [sale(100 + n, location={"country": "United States", "state": "Ohio", "city": "Replayville",
                                       "postal_code": "43001", "region": "EAST"}) for n in range(5)]
    for event in ordinary[:10] + blocked + ordinary[10:]:
        publisher.sale(event)
    publisher.raw(b"garbage", b"still not avro")
    publisher.flush()
    with isolated_database(db, endpoints) as isolated:
        # A rule of the warehouse's owners refuses one city for a while.
        with isolated.connect() as conn:
            conn.execute("alter table staging.sales_events add constraint no_replayville "
                         "check (city <> 'Replayville') not valid")
        first = isolated.superstore("run", "--until-idle", "--topic", topic)
        assert first.stdout.startswith("idle: consumed 26, accepted 20, rejected 6"), first.stdout
        with isolated.connect() as conn:
            conn.execute("alter table staging.sales_events drop constraint no_replayville")

        since = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).isoformat()
        nothing = isolated.superstore("replay", "--from-dlq", "--topic", topic, "--since", since)
        assert nothing.stdout.strip() == f"replayed 0 of 6 dead letters from {topic}.dlq to {topic}", nothing.stdout
        dry = isolated.superstore("replay", "--from-dlq", "--topic", topic, "--reason", "refused_by_database", "--dry-run")
        assert dry.stdout.strip() == (
            f"would replay 5 of 6 dead letters from {topic}.dlq to {topic}: refused_by_database 5"
        ), dry.stdout
        replay = isolated.superstore("replay", "--from-dlq", "--topic", topic, "--reason", "refused_by_database")
        assert replay.returncode == 0, replay.stderr
        assert replay.stdout.strip() == (
            f"replayed 5 of 6 dead letters from {topic}.dlq to {topic}: refused_by_database 5"
        ), replay.stdout

        second = isolated.superstore("run", "--until-idle", "--topic", topic)
        assert second.stdout.startswith("idle: consumed 5, accepted 5, rejected 0"), second.stdout
        staged = {str(r[0]) for r in isolated.rows("select event_id from staging.sales_events")}
        assert staged == {str(e["event_id"]) for e in ordinary + blocked}, "every sale is staged once"
        replay_of = isolated.rows(
            "select kafka_headers from staging.sales_events where city = 'Replayville'"
        )
        assert all(any(h["key"] == "superstore.replay.of" for h in row[0]) for row in replay_of)
        assert assert_conservation(isolated, topic, 31) == (31, 25, 6, 0)


def test_a_replay_into_a_live_run_stages_what_the_database_refused(endpoints, db, topic):
    """The operator's fix for refused_by_database, walked while `run` keeps
    running: the refused ids must not be remembered as seen, or the replayed
    copies are dropped as duplicates (no row, no quarantine, offsets moved)."""
    create_topic(endpoints, topic, partitions=1)
    publisher = Publisher(endpoints, topic)
    ordinary = [sale(n) for n in range(10)]
    blocked = [sale(100 + n, location={"country": "United States", "state": "Ohio", "city": "Replayville",
                                       "postal_code": "43001", "region": "EAST"}) for n in range(5)]
    for event in ordinary[:5] + blocked + ordinary[5:]:
        publisher.sale(event)
    publisher.flush()
    with isolated_database(db, endpoints) as isolated:
        with isolated.connect() as conn:
            conn.execute("alter table staging.sales_events add constraint no_replayville "
                         "check (city <> 'Replayville') not valid")
        run = isolated.spawn("run", "--topic", topic)
        try:
            published = "select count(*) from staging.rejected_events where dlq_published_at is not null"
            wait_for(lambda: isolated.scalar(published) == 5, 60, "5 dead letters on the topic")
            assert staged_count(isolated, topic) == 10
            with isolated.connect() as conn:
                conn.execute("alter table staging.sales_events drop constraint no_replayville")
            replay = isolated.superstore("replay", "--from-dlq", "--topic", topic, "--reason", "refused_by_database")
            assert replay.returncode == 0, replay.stderr
            wait_for(lambda: staged_count(isolated, topic) == 15, 30, "the replayed sales staged by the live run")
        finally:
            code, out, err = stop(run)
        assert code == 0, err[-3000:]
        assert out.startswith("stopped: consumed 20, accepted 15, rejected 5, duplicates 0"), out
        staged = {str(r[0]) for r in isolated.rows("select event_id from staging.sales_events")}
        assert staged == {str(e["event_id"]) for e in ordinary + blocked}
        assert assert_conservation(isolated, topic, 20) == (20, 15, 5, 0)
