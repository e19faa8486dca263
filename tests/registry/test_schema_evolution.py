"""Schema evolution end to end: v1 and v2 events mixed on one topic, the
registry as Confluent's own client sees it, and the guards that refuse
incompatible schemas and a staging layer that lags the reader schema."""

import json
import random
import subprocess
import uuid

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from support.superstore import ROOT, preview, run_superstore, run_until_idle, scratch_warehouse, superstore_binary

V1 = (ROOT / "schemas" / "sale" / "v1.avsc").read_text()
V2 = (ROOT / "schemas" / "sale" / "v2.avsc").read_text()
BROKEN = ROOT / "schemas" / "examples" / "sale_quantity_as_string.avsc"


def seed() -> int:
    return random.randrange(1, 2**40)


def test_v1_and_v2_events_mixed_on_one_topic_all_land_with_defaults_or_values(endpoints, db, topic):
    batches = [(seed(), "1"), (seed(), "2"), (seed(), "1")]  # the last is an older producer, still on v1
    for s, version in batches:
        out = run_superstore("generate", "--count", "10000", "--seed", str(s), "--topic", topic, "--schema-version", version)
        assert "published 10000 events" in out.stdout

    summary = run_until_idle(topic)
    assert summary.startswith("idle: consumed 30000, accepted 30000, rejected 0"), summary

    rows = {
        str(event_id): (payment_method, loyalty_id, schema_id)
        for event_id, payment_method, loyalty_id, schema_id in db.execute(
            "select event_id, payment_method, loyalty_id, schema_id from staging.sales_events where kafka_topic = %s",
            (topic,),
        )
    }
    assert len(rows) == 30_000
    registry = SchemaRegistryClient({"url": endpoints["SCHEMA_REGISTRY_URL"]})
    subject = f"{topic}-value"
    v1_id = registry.lookup_schema(subject, Schema(V1, "AVRO")).schema_id
    v2_id = registry.lookup_schema(subject, Schema(V2, "AVRO")).schema_id
    for s, version in batches:
        for event in preview(10000, s, "--schema-version", version):
            payment_method, loyalty_id, schema_id = rows[event["event_id"]]
            if version == "1":
                assert (payment_method, loyalty_id, schema_id) == ("UNKNOWN", None, v1_id), "v1 rows carry the defaults"
            else:
                assert (payment_method, loyalty_id, schema_id) == (event["payment_method"], event["loyalty_id"], v2_id)
    with_loyalty = sum(1 for p, l, _ in rows.values() if l is not None)
    assert 0 < with_loyalty < 10_000


def test_confluents_client_registers_tests_and_configures_as_against_confluent(endpoints):
    registry = SchemaRegistryClient({"url": endpoints["SCHEMA_REGISTRY_URL"]})
    subject = f"evolution-{uuid.uuid4().hex}-value"
    v1_id = registry.register_schema(subject, Schema(V1, "AVRO"))
    assert registry.register_schema(subject, Schema(V1, "AVRO")) == v1_id, "same schema, same id"
    assert registry.test_compatibility(subject, Schema(V2, "AVRO")) is True
    v2_id = registry.register_schema(subject, Schema(V2, "AVRO"))
    latest = registry.get_latest_version(subject)
    assert (latest.version, latest.schema_id) == (2, v2_id)
    assert json.loads(latest.schema.schema_str) == json.loads(V2)

    broken = Schema(BROKEN.read_text(), "AVRO")
    assert registry.test_compatibility(subject, broken) is False
    with pytest.raises(SchemaRegistryError) as refused:
        registry.register_schema(subject, broken)
    assert refused.value.http_status_code == 409 and refused.value.error_code == 409
    assert "quantity" in refused.value.error_message

    assert registry.set_compatibility(subject_name=subject, level="NONE") == {"compatibility": "NONE"}
    assert registry.get_compatibility(subject) == "NONE"
    assert registry.test_compatibility(subject, broken) is True
    with pytest.raises(SchemaRegistryError) as bad_level:
        registry.set_compatibility(subject_name=subject, level="SIDEWAYS")
    assert bad_level.value.error_code == 42203


def test_schemas_register_refuses_an_incompatible_schema_with_every_reason(endpoints):
    subject = f"cli-{uuid.uuid4().hex}-value"
    first = run_superstore("schemas", "register", "schemas/sale/v1.avsc", "--subject", subject, "--json")
    assert json.loads(first.stdout)["version"] == 1
    second = run_superstore("schemas", "register", "schemas/sale/v2.avsc", "--subject", subject)
    assert f"as {subject} version 2" in second.stdout

    refused = run_superstore("schemas", "register", str(BROKEN), "--subject", subject, check=False)
    assert refused.returncode == 4
    assert "NOT compatible" in refused.stdout
    assert "field 'quantity' changed type from int to string" in refused.stdout
    as_json = run_superstore("schemas", "check", str(BROKEN), "--subject", subject, "--json", check=False)
    assert as_json.returncode == 4
    assert json.loads(as_json.stdout)["compatible"] is False
    listed = json.loads(run_superstore("schemas", "list", "--json").stdout)
    assert {"subject": subject, "versions": [1, 2], "compatibility": "BACKWARD"} in listed


def test_run_refuses_to_start_when_staging_lacks_a_column_of_the_reader_schema(endpoints, db):
    damage = "alter table staging.sales_events drop column loyalty_id"
    with scratch_warehouse(db, endpoints, "lagging", damage) as env:
        result = subprocess.run(
            [str(superstore_binary()), "run", "--until-idle", "--topic", f"lagging.{uuid.uuid4().hex[:10]}"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )
    assert result.returncode == 4, result.stderr
    assert "no column for loyalty_id" in result.stderr and "superstore migrate" in result.stderr
