"""The book promises that SCHEMA_REGISTRY_URL can point at any
Confluent-compatible registry. Here it points at a real Apicurio Registry
3.3.3 (scripts/apicurio.sh, Confluent API under /apis/ccompat/v7, in-memory
storage), started fresh for this module next to the local stack's Kafka and
PostgreSQL, with a database of the module's own so the staging counts are
exact. It needs Java 21 or newer: without one, the module is skipped with
the reason in the summary (pytest -ra), never silently."""

import json
import os
import random
import subprocess
import uuid

import psycopg
import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from support.sale_contract import as_contract
from support.superstore import ROOT, consume_all, preview, superstore_binary

APICURIO = ROOT / "scripts" / "apicurio.sh"
V1 = (ROOT / "schemas" / "sale" / "v1.avsc").read_text()
V2 = (ROOT / "schemas" / "sale" / "v2.avsc").read_text()
# What `generate` writes with by default: the newest released version (v3, four decimals).
NEWEST = (ROOT / "schemas" / "sale" / "v3.avsc").read_text()
NEWEST_SCALE = 4
BROKEN = "schemas/examples/sale_quantity_as_string.avsc"
NONE_WARNING = "is NONE: the registry accepts any schema"


# The test's registry listens below Linux's ephemeral ports (32768-60999): CI
# once saw the default port (58080) held, likely by an outgoing connection.
TEST_PORT = os.environ.get("SUPERSTORE_APICURIO_TEST_PORT", "27380")


def apicurio(command: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SUPERSTORE_APICURIO_PORT": TEST_PORT}
    return subprocess.run([str(APICURIO), command], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=900)


@pytest.fixture(scope="module")
def apicurio_url():
    """A fresh Apicurio Registry (restarted: its storage is in memory), stopped afterwards."""
    java = apicurio("java")
    if java.returncode == 3:
        message = f"Apicurio interop NOT RUN: no Java 21+ here. {java.stderr.strip()}"
        print(f"\n*** {message} ***")
        pytest.skip(message)
    assert java.returncode == 0, java.stderr
    apicurio("down")
    started = apicurio("up")
    assert started.returncode == 0, f"scripts/apicurio.sh up failed:\n{started.stderr}"
    yield started.stdout.strip().splitlines()[-1]
    apicurio("down")


def on_the_stack(endpoints, sql: str):
    # A connection of its own: the session's `db` would not survive the local stack test's restart.
    with psycopg.connect(endpoints["DATABASE_URL"], autocommit=True) as connection:
        connection.execute(sql)


@pytest.fixture(scope="module")
def env(endpoints, apicurio_url):
    """The three endpoint variables: the stack's Kafka, a database of this module's own, Apicurio."""
    database = f"apicurio_{uuid.uuid4().hex[:10]}"
    on_the_stack(endpoints, f"create database {database}")  # a name of ours, not input
    url = endpoints["DATABASE_URL"].rsplit("/", 1)[0] + "/" + database
    variables = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": endpoints["KAFKA_BOOTSTRAP_SERVERS"],
        "DATABASE_URL": url,
        "SCHEMA_REGISTRY_URL": apicurio_url,
    }
    variables.pop("SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO", None)
    superstore(variables, "migrate")
    yield variables
    on_the_stack(endpoints, f"drop database if exists {database} with (force)")


def superstore(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([str(superstore_binary()), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    if check and done.returncode != 0:
        raise AssertionError(f"superstore {' '.join(args)} exited {done.returncode}\n{done.stdout}\n{done.stderr}")
    return done


def staged(env: dict, sql: str, *params):
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as connection:
        return connection.execute(sql, params).fetchall()


def new_topic() -> str:
    return f"apicurio.sales.{uuid.uuid4().hex[:12]}"


def test_generate_then_run_stages_exact_counts_and_warns_that_the_level_is_none(env, apicurio_url):
    topic = new_topic()
    published = superstore(env, "generate", "--count", "20000", "--seed", "1717", "--topic", topic,
                           "--duplicate-ratio", "0.05", "--invalid-ratio", "0.02")
    assert "published 20000 events" in published.stdout
    assert published.stderr.count(NONE_WARNING) == 1, "a fresh Apicurio is at NONE: warned once\n" + published.stderr

    summary = superstore(env, "run", "--until-idle", "--topic", topic).stdout
    assert summary.startswith("idle: consumed 20000, accepted 18600, rejected 400, duplicates 1000"), summary
    registry = SchemaRegistryClient({"url": apicurio_url})
    newest_id = registry.lookup_schema(f"{topic}-value", Schema(NEWEST, "AVRO")).schema_id
    rows = staged(env, "select schema_id, count(*) from staging.sales_events where kafka_topic = %s group by 1", topic)
    assert rows == [(newest_id, 18600)], "every row carries Apicurio's id of the newest schema"
    rejected = staged(env, "select count(*) from staging.rejected_events where topic = %s", topic)
    assert rejected == [(400,)]


def test_v1_and_v2_events_mixed_on_one_topic_stage_completely_under_apicurios_ids(env, apicurio_url):
    topic = new_topic()
    batches = [(random.randrange(1, 2**40), "1"), (random.randrange(1, 2**40), "2"), (random.randrange(1, 2**40), "1")]
    for seed, version in batches:
        superstore(env, "generate", "--count", "2000", "--seed", str(seed), "--topic", topic, "--schema-version", version)
    summary = superstore(env, "run", "--until-idle", "--topic", topic).stdout
    assert summary.startswith("idle: consumed 6000, accepted 6000, rejected 0"), summary

    registry = SchemaRegistryClient({"url": apicurio_url})
    ids = {v: registry.lookup_schema(f"{topic}-value", Schema(text, "AVRO")).schema_id for v, text in (("1", V1), ("2", V2))}
    assert ids["1"] != ids["2"]
    rows = {
        str(event_id): (payment_method, schema_id)
        for event_id, payment_method, schema_id in staged(
            env, "select event_id, payment_method, schema_id from staging.sales_events where kafka_topic = %s", topic
        )
    }
    assert len(rows) == 6000
    for seed, version in batches:
        for event in preview(2000, seed, "--schema-version", version):
            payment_method, schema_id = rows[event["event_id"]]
            assert schema_id == ids[version]
            assert payment_method == ("UNKNOWN" if version == "1" else event["payment_method"])


def test_schemas_check_config_and_register_on_a_new_subject_then_an_existing_one(env, apicurio_url):
    subject = f"apicurio-{uuid.uuid4().hex}-value"
    check = superstore(env, "schemas", "check", "schemas/sale/v1.avsc", "--subject", subject)
    assert f"is compatible with {subject} under NONE" in check.stdout
    assert check.stderr.count(NONE_WARNING) == 1
    shown = superstore(env, "schemas", "config", "--subject", subject, "--json")
    assert json.loads(shown.stdout) == {"subject": subject, "compatibility": "NONE"}
    assert shown.stderr.count(NONE_WARNING) == 1
    first = superstore(env, "schemas", "register", "schemas/sale/v1.avsc", "--subject", subject, "--json")
    assert json.loads(first.stdout)["version"] == 1

    assert superstore(env, "schemas", "config", "BACKWARD", "--subject", subject).stdout.strip() == f"{subject}: BACKWARD"
    existing = superstore(env, "schemas", "check", "schemas/sale/v2.avsc", "--subject", subject)
    assert f"is compatible with {subject} under BACKWARD" in existing.stdout
    assert NONE_WARNING not in existing.stderr
    second = superstore(env, "schemas", "register", "schemas/sale/v2.avsc", "--subject", subject)
    assert f"as {subject} version 2" in second.stdout
    assert json.loads(superstore(env, "schemas", "config", "--subject", subject, "--json").stdout)["compatibility"] == "BACKWARD"
    assert SchemaRegistryClient({"url": apicurio_url}).get_versions(subject) == [1, 2]


def test_the_incompatible_example_is_refused_with_field_level_reasons_explained_locally(env, apicurio_url):
    subject = f"apicurio-{uuid.uuid4().hex}-value"
    superstore(env, "schemas", "register", "schemas/sale/v2.avsc", "--subject", subject)
    superstore(env, "schemas", "config", "BACKWARD", "--subject", subject)
    for command in ("check", "register"):
        refused = superstore(env, "schemas", command, BROKEN, "--subject", subject, check=False)
        assert refused.returncode == 4, refused.stderr
        assert "The registry gave no reasons; local explanation" in refused.stdout
        assert "field 'quantity' changed type from int to string" in refused.stdout
    as_json = json.loads(superstore(env, "schemas", "check", BROKEN, "--subject", subject, "--json", check=False).stdout)
    assert as_json["compatible"] is False and as_json["reasons_from"] == "local explanation"
    assert SchemaRegistryClient({"url": apicurio_url}).get_versions(subject) == [1], "nothing was registered"


def test_confluent_avro_deserializer_decodes_what_generate_published_through_apicurio(env, apicurio_url):
    topic = new_topic()
    count, seed = 300, 424242
    superstore(env, "generate", "--count", str(count), "--seed", str(seed), "--topic", topic)
    registry = SchemaRegistryClient({"url": apicurio_url})
    latest = registry.get_latest_version(f"{topic}-value")
    deserializer = AvroDeserializer(registry)
    messages = consume_all(env["KAFKA_BOOTSTRAP_SERVERS"], topic, count)
    assert len(messages) == count
    expected = {line["event_id"]: line for line in preview(count, seed)}
    for message in messages:
        assert int.from_bytes(message.value()[1:5], "big") == latest.schema_id
        decoded = deserializer(message.value(), SerializationContext(topic, MessageField.VALUE))
        event = as_contract(decoded, NEWEST_SCALE)
        wanted = dict(expected[event["event_id"]])
        wanted.pop("provenance")
        wanted.pop("record")
        assert event == wanted


def test_setting_the_global_level_as_the_readme_says_silences_the_warning(env):
    before = superstore(env, "schemas", "config", "--json")
    assert json.loads(before.stdout)["compatibility"] == "NONE" and NONE_WARNING in before.stderr
    superstore(env, "schemas", "config", "BACKWARD")
    after = superstore(env, "schemas", "config", "--subject", f"apicurio-{uuid.uuid4().hex}-value", "--json")
    assert json.loads(after.stdout)["compatibility"] == "BACKWARD", "a new subject now gets BACKWARD"
    assert NONE_WARNING not in after.stderr
