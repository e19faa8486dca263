"""What the pipeline does with input it did not produce itself: garbage,
broken framing, unknown schemas, truncated data, values PostgreSQL refuses,
and events from Confluent's own AvroSerializer."""

import random
from decimal import Decimal

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from support.superstore import ROOT, run_superstore, run_until_idle, scalar
from support.faults import sale

SCHEMA_V1 = (ROOT / "schemas" / "sale" / "v1.avsc").read_text()


def serializer(endpoints) -> AvroSerializer:
    registry = SchemaRegistryClient({"url": endpoints["SCHEMA_REGISTRY_URL"]})
    return AvroSerializer(registry, SCHEMA_V1, conf={"auto.register.schemas": True})


def test_bad_input_is_quarantined_with_its_reason_and_what_follows_is_ingested(endpoints, db, topic):
    serialize = serializer(endpoints)
    context = SerializationContext(topic, MessageField.VALUE)
    valid = serialize(sale(1), context)
    producer = Producer({"bootstrap.servers": endpoints["KAFKA_BOOTSTRAP_SERVERS"], "enable.idempotence": True})

    bad = {
        b"garbage": (b"this is not avro at all", "not_confluent_framed"),
        b"wrong-magic": (b"\x01" + valid[1:], "not_confluent_framed"),
        b"unknown-id": (b"\x00" + (2_000_000_000).to_bytes(4, "big") + valid[5:], "unknown_schema_id"),
        b"truncated": (valid[: len(valid) // 2], "undecodable_avro"),
        b"nul-in-name": (
            serialize(sale(2, customer={"customer_id": "PY-00002", "customer_name": "Bad\x00Name", "segment": "CONSUMER"}), context),
            "refused_by_database",
        ),
        b"tombstone": (None, "missing_value"),
    }
    # One partition keeps the order: the bad records come first, then good ones.
    admin = AdminClient({"bootstrap.servers": endpoints["KAFKA_BOOTSTRAP_SERVERS"]})
    admin.create_topics([NewTopic(topic, 1)])[topic].result(timeout=30)
    for key, (value, _) in bad.items():
        producer.produce(topic, key=key, value=value)
    good_ids = []
    for n in range(3, 53):
        event = sale(n)
        good_ids.append(str(event["event_id"]))
        producer.produce(topic, key=event["order_id"], value=serialize(event, context))
    assert producer.flush(30) == 0

    summary = run_until_idle(topic)
    assert "rejected 6" in summary, summary

    rejected = {
        bytes(key): (reason, detail, bytes(raw) if raw is not None else None)
        for key, reason, detail, raw in db.execute(
            "select message_key, reason, detail, raw_value from staging.rejected_events where topic = %s", (topic,)
        )
    }
    assert {key: r[0] for key, r in rejected.items()} == {key: reason for key, (_, reason) in bad.items()}
    for key, (value, _) in bad.items():
        assert rejected[key][2] == value, "the raw bytes are kept as they came"
        assert rejected[key][1], "every rejection says why"
    staged = {str(r[0]) for r in db.execute("select event_id from staging.sales_events where kafka_topic = %s", (topic,))}
    assert staged == set(good_ids), "the events after the bad ones are ingested"
    assert scalar(db, "select sum(n_in) from staging.ingest_batches where topic = %s", topic) == len(bad) + 50


def test_events_from_confluent_avro_serializer_are_ingested_like_our_own(endpoints, db, topic):
    serialize = serializer(endpoints)
    context = SerializationContext(topic, MessageField.VALUE)
    producer = Producer({"bootstrap.servers": endpoints["KAFKA_BOOTSTRAP_SERVERS"], "enable.idempotence": True})
    events = [
        sale(n, sales=Decimal(f"{random.randint(1, 99999)}.{random.randint(0, 99):02d}"), profit=Decimal("-12.34"), quantity=n % 7 + 1)
        for n in range(100, 140)
    ]
    for event in events:
        producer.produce(topic, key=event["order_id"], value=serialize(event, context))
    assert producer.flush(30) == 0

    summary = run_until_idle(topic)
    assert summary.startswith("idle: consumed 40, accepted 40, rejected 0"), summary
    rows = {
        str(row[0]): row[1:]
        for row in db.execute(
            "select event_id, order_id, sales, profit, quantity, ship_mode, segment, region, category, event_time, order_date "
            "from staging.sales_events where kafka_topic = %s",
            (topic,),
        )
    }
    for event in events:
        order_id, sales, profit, quantity, ship_mode, segment, region, category, event_time, order_date = rows[str(event["event_id"])]
        assert order_id == event["order_id"]
        assert sales == event["sales"] and profit == event["profit"], "decimals arrive to the cent"
        assert quantity == event["quantity"]
        assert (ship_mode, segment, region, category) == ("SECOND_CLASS", "CORPORATE", "WEST", "TECHNOLOGY")
        assert event_time == event["event_time"] and order_date == event["order_date"]
