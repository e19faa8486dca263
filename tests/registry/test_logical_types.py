"""A producer whose event_time is `timestamp-micros` (Spark's Avro writer
uses micros by default) against the real stack. Avro's canonical form drops
logical types, so such a schema looks like v3 to a careless reader, which
would read its instants a thousand times too late. The registry refuses it
under every compatibility level but NONE, naming the field; a subject set to
NONE can still carry it, and then each event lands at the instant written,
to the microsecond."""

import datetime as dt

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from support.superstore import ROOT
from support.faults import Publisher, assert_conservation, create_topic, isolated_database, sale

V3 = (ROOT / "schemas" / "sale" / "v3.avsc").read_text()
MICROS = V3.replace('"timestamp-millis"', '"timestamp-micros"')


def test_the_registry_refuses_a_micros_event_time_after_v3_under_backward(endpoints, topic):
    registry = SchemaRegistryClient({"url": endpoints["SCHEMA_REGISTRY_URL"]})
    subject = f"{topic}-value"
    registry.set_compatibility(subject_name=subject, level="BACKWARD")
    registry.register_schema(subject, Schema(V3, "AVRO"))
    with pytest.raises(SchemaRegistryError) as refused:
        registry.register_schema(subject, Schema(MICROS, "AVRO"))
    assert refused.value.http_status_code == 409, refused.value
    message = refused.value.error_message
    assert "'event_time'" in message and "timestamp-millis to timestamp-micros" in message, message


def test_a_micros_writer_lands_at_the_instant_it_wrote(endpoints, db, topic):
    registry = SchemaRegistryClient({"url": endpoints["SCHEMA_REGISTRY_URL"]})
    assert registry.set_compatibility(subject_name=f"{topic}-value", level="NONE") == {"compatibility": "NONE"}
    written = [
        dt.datetime(2025, 6, 1, 14, 30, 0, 123456, tzinfo=dt.timezone.utc),
        dt.datetime(2025, 6, 1, 14, 30, 0, 250000, tzinfo=dt.timezone.utc),
        dt.datetime(2025, 6, 1, 23, 59, 59, 999999, tzinfo=dt.timezone.utc),
    ]
    with isolated_database(db, endpoints) as isolated:
        create_topic(endpoints, topic)
        publisher = Publisher(endpoints, topic, schema=MICROS)
        events = [sale(n, event_time=at) for n, at in enumerate(written)]
        for event in events:
            publisher.sale(event)
        publisher.flush()

        result = isolated.superstore("run", "--until-idle", "--topic", topic, timeout=120)
        assert result.returncode == 0, result.stderr[-3000:]
        assert_conservation(isolated, topic, consumed=3)
        staged = dict(isolated.rows("select event_id, event_time from staging.sales_events where kafka_topic = %s", topic))
        assert staged == {event["event_id"]: event["event_time"] for event in events}
