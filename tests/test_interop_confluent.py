"""Interop with a client nobody here wrote: confluent-kafka's own
SchemaRegistryClient and AvroDeserializer read what `superstore generate`
published, and every field matches the contract of schemas/sale/*.avsc."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from conftest import preview, run_superstore

SHIP_MODES = {"STANDARD_CLASS", "SECOND_CLASS", "FIRST_CLASS", "SAME_DAY"}
SEGMENTS = {"CONSUMER", "CORPORATE", "HOME_OFFICE"}
REGIONS = {"CENTRAL", "EAST", "SOUTH", "WEST"}
CATEGORIES = {"FURNITURE", "OFFICE_SUPPLIES", "TECHNOLOGY"}
PAYMENT_METHODS = {"CASH", "CARD", "MOBILE_WALLET", "GIFT_CARD", "UNKNOWN"}


def consume_all(bootstrap: str, topic: str, expected: int) -> list:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"interop-{uuid.uuid4()}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    metadata = consumer.list_topics(topic, timeout=10)
    partitions = [TopicPartition(topic, p, 0) for p in metadata.topics[topic].partitions]
    consumer.assign(partitions)
    messages = []
    idle_polls = 0
    while len(messages) < expected and idle_polls < 30:
        message = consumer.poll(1.0)
        if message is None:
            idle_polls += 1
            continue
        assert message.error() is None, message.error()
        messages.append(message)
    consumer.close()
    return messages


def as_contract(decoded: dict, scale: int) -> dict:
    """A decoded event in the JSON shape of `generate --dry-run`, checking each type on the way:
    decimals carry the `scale` of the schema they were written with."""
    assert isinstance(decoded["event_id"], uuid.UUID)
    assert isinstance(decoded["event_time"], dt.datetime) and decoded["event_time"].utcoffset() == dt.timedelta(0)
    assert isinstance(decoded["order_date"], dt.date) and isinstance(decoded["ship_date"], dt.date)
    assert decoded["ship_mode"] in SHIP_MODES
    assert decoded["customer"]["segment"] in SEGMENTS
    assert decoded["location"]["region"] in REGIONS
    assert decoded["product"]["category"] in CATEGORIES
    for money in ("sales", "profit", "discount"):
        assert isinstance(decoded[money], Decimal), money
        assert decoded[money].as_tuple().exponent == -scale, f"{money} keeps {scale} decimals"
    assert isinstance(decoded["quantity"], int)
    assert decoded["payment_method"] in PAYMENT_METHODS
    assert decoded["loyalty_id"] is None or decoded["loyalty_id"].startswith("LOY-")
    return {
        **decoded,
        "event_id": str(decoded["event_id"]),
        "event_time": decoded["event_time"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        "order_date": decoded["order_date"].isoformat(),
        "ship_date": decoded["ship_date"].isoformat(),
        "sales": str(decoded["sales"]),
        "profit": str(decoded["profit"]),
        "discount": str(decoded["discount"]),
    }


@pytest.mark.parametrize(("version", "scale"), [("3", 4), ("2", 2)])
def test_confluent_avro_deserializer_decodes_every_generated_event(endpoints, topic, version, scale):
    """Written with the newest schema (v3, four decimals), the generator's default, and with v2
    (two decimals), as an older producer would."""
    count, seed = 600, 20261124
    options = ("--duplicate-ratio", "0.05", "--invalid-ratio", "0.05", "--schema-version", version)
    published = run_superstore("generate", "--count", str(count), "--seed", str(seed), "--topic", topic, *options)
    assert f"published {count} events" in published.stdout

    registry = SchemaRegistryClient({"url": endpoints["SCHEMA_REGISTRY_URL"]})
    latest = registry.get_latest_version(f"{topic}-value")
    assert latest.schema.schema_type == "AVRO"
    deserializer = AvroDeserializer(registry)

    messages = consume_all(endpoints["KAFKA_BOOTSTRAP_SERVERS"], topic, count)
    assert len(messages) == count
    expected = {}
    for line in preview(count, seed, *options):
        provenance = line.pop("provenance")
        line.pop("broken_rule", None)
        expected.setdefault(line["event_id"], (provenance, line))

    seen = set()
    for message in messages:
        assert message.value()[0] == 0, "Confluent magic byte"
        assert int.from_bytes(message.value()[1:5], "big") == latest.schema_id
        decoded = deserializer(message.value(), SerializationContext(topic, MessageField.VALUE))
        event = as_contract(decoded, scale)
        assert message.key().decode() == event["order_id"], "keyed by order_id"
        _, wanted = expected[event["event_id"]]
        assert event == wanted, f"event {event['event_id']} differs field by field"
        seen.add(event["event_id"])
    assert seen == set(expected), "every generated event was published and decoded"
