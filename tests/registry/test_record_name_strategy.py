"""Two record types on one topic, by Confluent's record-name strategy. The return
(schemas/return/v1.avsc) has a subject of its own beside the sale's: `superstore
schemas` registers and checks it there; confluent-kafka's serializer configured with
`topic_record_subject_name_strategy` finds the same subject and schema id, and the
pipeline stages what it wrote; confluent-kafka's deserializer reads the returns
`generate` writes. A record of a type the pipeline does not know is quarantined with
a clear reason instead of failing it."""

import datetime
import json
import random
import uuid
from decimal import Decimal

from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient, topic_record_subject_name_strategy
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from support.superstore import ROOT, consume_all, preview, run_superstore, run_until_idle


def test_a_return_has_its_own_subject_and_confluent_kafka_writes_what_the_pipeline_stages(endpoints, db, topic):
    subject = f"{topic}-superstore.sales.ReturnRecorded"
    registered = run_superstore("schemas", "register", "schemas/return/v1.avsc", "--topic", topic, "--json")
    answer = json.loads(registered.stdout.strip().splitlines()[-1])
    assert (answer["subject"], answer["version"]) == (subject, 1)
    checked = run_superstore("schemas", "check", "schemas/return/v1.avsc", "--topic", topic)
    assert f"compatible with {subject}" in checked.stdout

    # Event ids follow from the seed, and staging's key is global: a seed of its own.
    seed = random.randrange(1, 2**40)
    run_superstore("generate", "--count", "50", "--seed", str(seed), "--topic", topic)
    subjects = {entry["subject"] for entry in json.loads(run_superstore("schemas", "list", "--json").stdout)}
    assert {f"{topic}-value", subject} <= subjects, "the sale keeps the topic's value subject"

    registry = SchemaRegistryClient({"url": endpoints["SCHEMA_REGISTRY_URL"]})
    strategy = {"subject.name.strategy": topic_record_subject_name_strategy, "auto.register.schemas": False}
    serializer = AvroSerializer(registry, (ROOT / "schemas/return/v1.avsc").read_text(), conf=strategy)
    sale = preview(50, seed)[0]
    returned = {
        "event_id": str(uuid.uuid4()),
        "event_time": datetime.datetime(2026, 12, 7, 12, 0, tzinfo=datetime.timezone.utc),
        "order_id": sale["order_id"],
        "product_id": sale["product"]["product_id"],
        "quantity": 1,
        "refund": Decimal("0.0100"),
        "reason": "DAMAGED",
        "return_date": datetime.date(2026, 12, 7),
    }
    value = serializer(returned, SerializationContext(topic, MessageField.VALUE))
    assert value[0] == 0 and int.from_bytes(value[1:5], "big") == answer["id"], "the same subject, the same id"
    # Another record type on the topic, which this pipeline does not read.
    other = AvroSerializer(
        registry,
        json.dumps({"type": "record", "name": "PriceChanged", "namespace": "superstore.sales",
                    "fields": [{"name": "product_id", "type": "string"}]}),
        conf={"subject.name.strategy": topic_record_subject_name_strategy},
    )
    unknown = other({"product_id": "FUR-BO-10001798"}, SerializationContext(topic, MessageField.VALUE))
    producer = Producer({"bootstrap.servers": endpoints["KAFKA_BOOTSTRAP_SERVERS"]})
    producer.produce(topic, key=returned["order_id"].encode(), value=value)
    producer.produce(topic, key=b"price", value=unknown)
    assert producer.flush(30) == 0

    summary = run_until_idle(topic)
    assert summary.startswith("idle: consumed 52, accepted 51, rejected 1, duplicates 0"), summary
    staged = db.execute("select event_id, refund from staging.return_events where kafka_topic = %s", (topic,)).fetchall()
    assert [(str(i), r) for i, r in staged] == [(returned["event_id"], Decimal("0.0100"))]
    reason, detail, raw = db.execute(
        "select reason, detail, raw_value from staging.rejected_events where topic = %s", (topic,)
    ).fetchone()
    assert reason == "unknown_record_type", (reason, detail)
    assert "superstore.sales.PriceChanged (schema id" in detail, detail
    assert bytes(raw) == unknown, "the record is kept byte for byte, for a pipeline that reads it"


def test_confluent_kafka_reads_the_returns_generate_writes(endpoints, topic):
    seed = random.randrange(1, 2**40)
    run_superstore("generate", "--count", "30", "--seed", str(seed), "--topic", topic, "--return-ratio", "1")
    expected = {e["event_id"]: e for e in preview(30, seed, "--return-ratio", "1") if e["record"] == "return"}
    deserializer = AvroDeserializer(SchemaRegistryClient({"url": endpoints["SCHEMA_REGISTRY_URL"]}))
    returns = {}
    for message in consume_all(endpoints["KAFKA_BOOTSTRAP_SERVERS"], topic, 30 + len(expected)):
        decoded = deserializer(message.value(), SerializationContext(topic, MessageField.VALUE))
        if "refund" in decoded:
            assert message.key().decode() == decoded["order_id"], "keyed by order, like its sale"
            returns[str(decoded["event_id"])] = decoded
    assert returns.keys() == expected.keys() and len(returns) > 5
    for event_id, decoded in returns.items():
        wanted = expected[event_id]
        assert (decoded["order_id"], decoded["product_id"], decoded["quantity"], decoded["reason"]) == (
            wanted["order_id"], wanted["product_id"], wanted["quantity"], wanted["reason"])
        assert decoded["refund"] == Decimal(wanted["refund"])
        assert decoded["return_date"].isoformat() == wanted["return_date"]
