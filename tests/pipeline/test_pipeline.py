"""`superstore run` end to end against the real stack: Kafka in, PostgreSQL
staging out, exactly once, with every refused record quarantined."""

import random
import re
import signal
import subprocess
import time
from collections import Counter

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from support.superstore import (
    ROOT,
    end_offsets,
    preview,
    run_superstore,
    run_until_idle,
    scalar,
    stored_offsets,
    superstore_binary,
)


def fresh_seed() -> int:
    # Event ids follow from the seed; staging's key is global, so tests never share one.
    return random.randrange(1, 2**40)


def test_generated_events_land_exactly_once_with_rejects_and_duplicates_accounted(endpoints, db, topic):
    seed, count = fresh_seed(), 20_000
    ratios = ("--duplicate-ratio", "0.05", "--invalid-ratio", "0.02")
    run_superstore("generate", "--count", str(count), "--seed", str(seed), "--topic", topic, *ratios)
    summary = run_until_idle(topic)
    assert summary.startswith("idle: consumed 20000, accepted 18600, rejected 400, duplicates 1000"), summary
    assert "dead letters: 400 published, 0 waiting" in summary, "every quarantined record reached the DLQ"

    expected = preview(count, seed, *ratios)
    fresh_ids = {e["event_id"] for e in expected if e["provenance"] == "fresh"}
    staged_ids = {str(r[0]) for r in db.execute("select event_id from staging.sales_events where kafka_topic = %s", (topic,))}
    assert len(fresh_ids) == 18_600
    assert staged_ids == fresh_ids, "staging holds exactly the distinct valid events"

    broken = {e["event_id"]: e["broken_rule"] for e in expected if e["provenance"] == "invalid"}
    deserializer = AvroDeserializer(SchemaRegistryClient({"url": endpoints["SCHEMA_REGISTRY_URL"]}))
    rejected = db.execute("select raw_value, reason from staging.rejected_events where topic = %s", (topic,)).fetchall()
    assert len(rejected) == 400
    for raw_value, reason in rejected:
        event = deserializer(bytes(raw_value), SerializationContext(topic, MessageField.VALUE))
        assert broken[str(event["event_id"])] == reason, "each invalid event carries the rule it breaks"
    assert Counter(r for _, r in rejected) == Counter(broken.values())

    n_in, inserted, n_rejected, duplicates = db.execute(
        "select sum(n_in), sum(n_inserted), sum(n_rejected), sum(n_duplicate) from staging.ingest_batches where topic = %s",
        (topic,),
    ).fetchone()
    assert (n_in, inserted, n_rejected, duplicates) == (20_000, 18_600, 400, 1_000)
    assert n_in == inserted + n_rejected + duplicates, "conservation"
    assert stored_offsets(db, topic) == end_offsets(endpoints["KAFKA_BOOTSTRAP_SERVERS"], topic)


def test_running_again_after_idle_inserts_nothing_and_moves_no_offset(endpoints, db, topic):
    run_superstore("generate", "--count", "3000", "--seed", str(fresh_seed()), "--topic", topic, "--duplicate-ratio", "0.1")
    run_until_idle(topic)
    before = (
        scalar(db, "select count(*) from staging.sales_events where kafka_topic = %s", topic),
        scalar(db, "select count(*) from staging.ingest_batches where topic = %s", topic),
        stored_offsets(db, topic),
    )
    summary = run_until_idle(topic)
    assert summary.startswith("idle: consumed 0, accepted 0"), summary
    after = (
        scalar(db, "select count(*) from staging.sales_events where kafka_topic = %s", topic),
        scalar(db, "select count(*) from staging.ingest_batches where topic = %s", topic),
        stored_offsets(db, topic),
    )
    assert after == before
    assert before[0] == 2_700


def test_kill_nine_three_times_loses_and_doubles_nothing(endpoints, db, topic):
    # Sales, and returns of 5% of their orders, each a few records after its order.
    count = 50_000
    published = run_superstore(
        "generate", "--count", str(count), "--seed", str(fresh_seed()), "--topic", topic, "--return-ratio", "0.05"
    ).stdout
    returns = int(re.search(r"and (\d+) returns, 0 of them invalid", published).group(1))
    assert returns > 500, published
    staged = lambda: scalar(db, "select count(*) from staging.sales_events where kafka_topic = %s", topic)  # noqa: E731
    kills = 0
    # Small batches and a short linger make many commit points to die between;
    # each kill lands within 100 ms of the first commit the run is seen to make.
    slow = ("--batch-size", "250", "--linger-ms", "20")
    while kills < 3:
        before = staged()
        process = subprocess.Popen(
            [str(superstore_binary()), "run", "--topic", topic, *slow],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while staged() <= before and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(random.uniform(0.0, 0.1))
        process.send_signal(signal.SIGKILL)
        process.wait()
        kills += 1
        assert before < staged() < count, f"kill {kills} landed mid-ingestion ({staged()} of {count} staged)"

    run_until_idle(topic)
    assert staged() == count
    assert scalar(db, "select count(distinct event_id) from staging.sales_events where kafka_topic = %s", topic) == count
    assert scalar(db, "select count(*) from staging.return_events where kafka_topic = %s", topic) == returns
    n_in = scalar(db, "select sum(n_in) from staging.ingest_batches where topic = %s", topic)
    assert n_in == count + returns, "no record was processed twice"
    assert scalar(db, "select count(*) from staging.rejected_events where topic = %s", topic) == 0, "no return was refused"
    assert stored_offsets(db, topic) == end_offsets(endpoints["KAFKA_BOOTSTRAP_SERVERS"], topic)
