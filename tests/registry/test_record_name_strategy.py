"""Two record types on one topic, by Confluent's record-name strategy. The return
(schemas/return/v1.avsc) has a subject of its own beside the sale's: `superstore
schemas` registers and checks it there, confluent-kafka's serializer configured with
`topic_record_subject_name_strategy` finds the same subject and schema id, and a
pipeline that knows only sales quarantines such a record with a clear reason instead
of failing."""

import datetime
import json
import random
import uuid
from decimal import Decimal

from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient, topic_record_subject_name_strategy
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from support.superstore import ROOT, run_superstore, run_until_idle


def test_a_return_has_its_own_subject_and_a_sales_only_pipeline_quarantines_it(endpoints, db, topic):
    subject = f"{topic}-superstore.sales.ReturnRecorded"
    registered = run_superstore("schemas", "register", "schemas/return/v1.avsc", "--topic", topic, "--json")
    answer = json.loads(registered.stdout.strip().splitlines()[-1])
    assert (answer["subject"], answer["version"]) == (subject, 1)
    checked = run_superstore("schemas", "check", "schemas/return/v1.avsc", "--topic", topic)
    assert f"compatible with {subject}" in checked.stdout

    # Event ids follow from the seed, and staging's key is global: a seed of its own.
    run_superstore("generate", "--count", "50", "--seed", str(random.randrange(1, 2**40)), "--topic", topic)
    subjects = {entry["subject"] for entry in json.loads(run_superstore("schemas", "list", "--json").stdout)}
    assert {f"{topic}-value", subject} <= subjects, "the sale keeps the topic's value subject"

    registry = SchemaRegistryClient({"url": endpoints["SCHEMA_REGISTRY_URL"]})
    serializer = AvroSerializer(
        registry,
        (ROOT / "schemas/return/v1.avsc").read_text(),
        conf={"subject.name.strategy": topic_record_subject_name_strategy, "auto.register.schemas": False},
    )
    returned = {
        "event_id": str(uuid.uuid4()),
        "event_time": datetime.datetime(2026, 12, 7, 12, 0, tzinfo=datetime.timezone.utc),
        "order_id": "US-2026-0000001",
        "product_id": "FUR-BO-10001798",
        "quantity": 1,
        "refund": Decimal("41.9136"),
        "reason": "DAMAGED",
        "return_date": datetime.date(2026, 12, 7),
    }
    value = serializer(returned, SerializationContext(topic, MessageField.VALUE))
    assert value[0] == 0 and int.from_bytes(value[1:5], "big") == answer["id"], "the same subject, the same id"
    producer = Producer({"bootstrap.servers": endpoints["KAFKA_BOOTSTRAP_SERVERS"]})
    producer.produce(topic, key=returned["order_id"].encode(), value=value)
    assert producer.flush(30) == 0

    summary = run_until_idle(topic)
    assert summary.startswith("idle: consumed 51, accepted 50, rejected 1, duplicates 0"), summary
    reason, detail, raw = db.execute(
        "select reason, detail, raw_value from staging.rejected_events where topic = %s", (topic,)
    ).fetchone()
    assert reason == "unknown_record_type", (reason, detail)
    assert "superstore.sales.ReturnRecorded (schema id" in detail, detail
    assert bytes(raw) == value, "the return is kept byte for byte, for a pipeline that reads it"
