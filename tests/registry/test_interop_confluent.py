"""Interop with a client nobody here wrote: confluent-kafka's own
SchemaRegistryClient and AvroDeserializer read what `superstore generate`
published, and every field matches the contract of schemas/sale/*.avsc."""

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from support.sale_contract import as_contract
from support.superstore import consume_all, preview, run_superstore


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
        assert line.pop("record") == "sale"
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
