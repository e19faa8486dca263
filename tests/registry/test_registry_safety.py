"""The registry's safety features end to end: `generate` and `run` against a
registry that requires basic authentication, records framed with an unknown
schema id all quarantined, records framed with random ids quarantined at a
capped cost to the registry, and the warning when a subject's level is NONE."""

import base64
import os
import random
import secrets
import subprocess
import time
import urllib.request
import uuid

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from support.superstore import ROOT, run_superstore, run_until_idle, superstore_binary
from support.observing import Samples
from support.faults import SCHEMA_V1, sale
from support.registry_auth import USER_INFO_VARIABLE, free_port, status_of

NONE_WARNING = "is NONE: the registry accepts any schema"


@pytest.fixture(scope="module")
def guarded_registry(endpoints):
    """`superstore registry` with basic auth on, over the stack's PostgreSQL; (url, user:password)."""
    user_info = f"ingest:{secrets.token_hex(16)}"
    port = free_port()
    env = {**os.environ, "DATABASE_URL": endpoints["DATABASE_URL"], "SUPERSTORE_REGISTRY_BASIC_AUTH": user_info}
    server = subprocess.Popen(
        [str(superstore_binary()), "registry", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            status_of(f"{url}/subjects")
            break
        except OSError:
            time.sleep(0.2)
    yield url, user_info
    server.terminate()
    _, log = server.communicate(timeout=30)
    assert user_info.split(":", 1)[1] not in log, "the password never reaches the logs"


def against(endpoints, registry_url: str, user_info: str | None) -> dict:
    env = {**os.environ, **endpoints, "SCHEMA_REGISTRY_URL": registry_url}
    env.pop(USER_INFO_VARIABLE, None)
    if user_info is not None:
        env[USER_INFO_VARIABLE] = user_info
    return env


def superstore(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(superstore_binary()), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_the_guarded_registry_answers_401_without_or_with_wrong_credentials_and_200_with_them(guarded_registry):
    url, user_info = guarded_registry
    assert status_of(f"{url}/subjects") == 401
    assert status_of(f"{url}/subjects", "ingest:wrong") == 401
    assert status_of(f"{url}/subjects", user_info) == 200


def test_generate_and_run_work_against_a_registry_that_requires_basic_auth(endpoints, guarded_registry, topic):
    url, user_info = guarded_registry
    for given in (None, "ingest:wrong"):
        refused = superstore(against(endpoints, url, given), "generate", "--count", "10", "--topic", topic)
        assert refused.returncode == 2, refused.stderr
        assert "answered 401" in refused.stderr and f"Fix: set {USER_INFO_VARIABLE}=user:password" in refused.stderr
    env = against(endpoints, url, user_info)
    seed = str(random.randrange(1, 2**40))  # fresh event ids: staging keeps those of earlier runs
    published = superstore(env, "generate", "--count", "2000", "--seed", seed, "--topic", topic,
                           "--duplicate-ratio", "0.05", "--invalid-ratio", "0.02")
    assert published.returncode == 0, published.stderr
    summary = superstore(env, "run", "--until-idle", "--topic", topic)
    assert summary.returncode == 0, summary.stderr
    assert summary.stdout.startswith("idle: consumed 2000, accepted 1860, rejected 40, duplicates 100"), summary.stdout
    listed = superstore(env, "schemas", "list")
    assert listed.returncode == 0 and f"{topic}-value" in listed.stdout
    assert user_info.split(":", 1)[1] not in published.stderr + summary.stderr + listed.stderr


def test_every_record_of_an_unknown_schema_id_is_quarantined_and_the_rest_staged(endpoints, db, topic):
    registry = SchemaRegistryClient({"url": endpoints["SCHEMA_REGISTRY_URL"]})
    serialize = AvroSerializer(registry, SCHEMA_V1, conf={"auto.register.schemas": True})
    context = SerializationContext(topic, MessageField.VALUE)
    unknown_id = 2_000_000_000 + uuid.uuid4().int % 100_000_000
    admin = AdminClient({"bootstrap.servers": endpoints["KAFKA_BOOTSTRAP_SERVERS"]})
    admin.create_topics([NewTopic(topic, 1)])[topic].result(timeout=30)
    producer = Producer({"bootstrap.servers": endpoints["KAFKA_BOOTSTRAP_SERVERS"], "enable.idempotence": True})
    for n in range(1, 521):
        framed = serialize(sale(n), context)
        if n % 26 != 0:  # 500 of 520 carry an id the registry never gave
            framed = b"\x00" + unknown_id.to_bytes(4, "big") + framed[5:]
        producer.produce(topic, key=str(n).encode(), value=framed)
    assert producer.flush(30) == 0

    summary = run_until_idle(topic)
    assert summary.startswith("idle: consumed 520, accepted 20, rejected 500"), summary
    assert "rejected unknown_schema_id: 500" in summary
    reasons = db.execute(
        "select reason, schema_id, count(*) from staging.rejected_events where topic = %s group by 1, 2", (topic,)
    ).fetchall()
    assert reasons == [("unknown_schema_id", unknown_id, 500)]


def unknown_id_lookups(url: str, user_info: str) -> float:
    """GET /schemas/ids/{id} requests the registry at `url` has answered 404."""
    request = urllib.request.Request(f"{url}/metrics")
    request.add_header("Authorization", "Basic " + base64.b64encode(user_info.encode()).decode())
    with urllib.request.urlopen(request, timeout=5) as answer:
        page = Samples(answer.read().decode())
    return page.value("superstore_registry_requests_total", route="/schemas/ids/{id}", status="404")


def test_records_of_random_schema_ids_are_all_quarantined_and_cost_the_registry_few_requests(
        endpoints, guarded_registry, db, topic):
    url, user_info = guarded_registry
    admin = AdminClient({"bootstrap.servers": endpoints["KAFKA_BOOTSTRAP_SERVERS"]})
    admin.create_topics([NewTopic(topic, 1)])[topic].result(timeout=30)
    producer = Producer({"bootstrap.servers": endpoints["KAFKA_BOOTSTRAP_SERVERS"], "enable.idempotence": True})
    for n, schema_id in enumerate(random.sample(range(1_000_000_000, 2_000_000_000), 2000)):
        producer.produce(topic, key=str(n).encode(), value=b"\x00" + schema_id.to_bytes(4, "big") + b"datum")
    assert producer.flush(30) == 0
    asked_before = unknown_id_lookups(url, user_info)

    summary = superstore(against(endpoints, url, user_info), "run", "--until-idle", "--topic", topic)
    assert summary.returncode == 0, summary.stderr
    assert "rejected unknown_schema_id: 2000" in summary.stdout, summary.stdout
    asked = unknown_id_lookups(url, user_info) - asked_before
    # Without the cap, each of the 2,000 ids costs a request.
    assert 20 <= asked <= 400, f"the registry was asked about {asked} of 2000 unknown ids"
    unasked = db.execute(
        "select count(*) from staging.rejected_events where topic = %s and reason = 'unknown_schema_id' "
        "and detail like '%%the registry was not asked%%'", (topic,)).fetchone()[0]
    assert unasked == 2000 - asked, "the others are quarantined saying the registry was not asked"


def test_schemas_commands_warn_once_when_the_subjects_level_is_none(endpoints):
    subject = f"none-{uuid.uuid4().hex}-value"
    assert run_superstore("schemas", "config", "NONE", "--subject", subject).stderr.count(NONE_WARNING) == 1
    for args in (("register", "schemas/sale/v1.avsc"), ("check", "schemas/sale/v2.avsc"), ("config",)):
        done = run_superstore("schemas", *args, "--subject", subject)
        assert done.stderr.count(NONE_WARNING) == 1, f"{args}: {done.stderr}"
        assert f"superstore schemas config BACKWARD --subject {subject}" in done.stderr
    listed = run_superstore("schemas", "list")
    assert listed.stderr.count(NONE_WARNING) == 1, "once per command, however many subjects are at NONE"
    run_superstore("schemas", "config", "BACKWARD", "--subject", subject)
    assert NONE_WARNING not in run_superstore("schemas", "check", "schemas/sale/v2.avsc", "--subject", subject).stderr
