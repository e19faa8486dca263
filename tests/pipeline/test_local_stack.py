"""The local stack: up, healthy, down, up again, with the data kept."""

import json
import os
import urllib.request
import uuid

import pytest

from support.superstore import consume_all, run_superstore

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("KAFKA_BOOTSTRAP_SERVERS")) and not os.environ.get("SUPERSTORE_TEST_LOCAL_STACK"),
    reason="the services come from the environment; the local stack is not under test",
)


def status() -> tuple[int, dict]:
    completed = run_superstore("status", "--json", check=False)
    services = {s["service"]: s for s in json.loads(completed.stdout)}
    return completed.returncode, services


def register(registry_url: str, subject: str, schema: dict) -> int:
    request = urllib.request.Request(
        f"{registry_url}/subjects/{subject}/versions",
        data=json.dumps({"schema": json.dumps(schema)}).encode(),
        headers={"Content-Type": "application/vnd.schemaregistry.v1+json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["id"]


def versions(registry_url: str, subject: str) -> list:
    with urllib.request.urlopen(f"{registry_url}/subjects/{subject}/versions", timeout=10) as response:
        return json.load(response)


def test_up_status_down_up_keeps_the_data(endpoints, topic):
    run_superstore("up")
    code, services = status()
    assert code == 0
    # Prometheus is listed too when `up --monitoring` has started it.
    assert {"postgres", "kafka", "registry"} <= set(services) <= {"postgres", "kafka", "registry", "prometheus"}
    assert all(s["healthy"] for s in services.values())

    registry = endpoints["SCHEMA_REGISTRY_URL"]
    subject = f"stack-test-{uuid.uuid4().hex}"
    schema = {"type": "record", "name": "Marker", "fields": [{"name": "id", "type": "string"}]}
    schema_id = register(registry, subject, schema)
    published = run_superstore("generate", "--count", "25", "--seed", "5", "--topic", topic)
    assert "published 25 events" in published.stdout

    run_superstore("down")
    code, services = status()
    assert code == 3, "status fails while the stack is down"
    assert not any(s["healthy"] for s in services.values())

    run_superstore("up")
    code, _ = status()
    assert code == 0
    assert versions(registry, subject) == [1], "the registry kept its subjects"
    assert register(registry, subject, schema) == schema_id, "and its ids"

    kept = consume_all(endpoints["KAFKA_BOOTSTRAP_SERVERS"], topic, 25)
    assert len(kept) == 25, "Kafka kept the topic's messages"
