"""Fixtures of the end-to-end tests: they drive the `superstore` binary
against the running local stack (or the services named by the three
environment variables) and check what lands in Kafka, the registry and
PostgreSQL."""

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def superstore_binary() -> Path:
    configured = os.environ.get("SUPERSTORE_BIN")
    binary = Path(configured) if configured else ROOT / "target" / "release" / "superstore"
    if not binary.is_file():
        pytest.fail(f"{binary} does not exist: build it with `cargo build --release` (scripts/test.sh does)")
    return binary


def run_superstore(*args: str, check: bool = True, timeout: int = 600) -> subprocess.CompletedProcess:
    """Runs `superstore ARGS` from the repository root and returns the finished process."""
    completed = subprocess.run(
        [str(superstore_binary()), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and completed.returncode != 0:
        raise AssertionError(
            f"superstore {' '.join(args)} exited {completed.returncode}\n"
            f"stdout:\n{completed.stdout}\nstderr:\n{completed.stderr}"
        )
    return completed


@pytest.fixture(scope="session")
def endpoints() -> dict:
    """KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL and SCHEMA_REGISTRY_URL of the stack under test."""
    names = ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "SCHEMA_REGISTRY_URL")
    if all(os.environ.get(n) for n in names):
        return {n: os.environ[n] for n in names}
    run_superstore("up")
    exported = {}
    for line in run_superstore("env").stdout.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        exported[name] = value
    return exported


@pytest.fixture
def topic() -> str:
    """A topic of the test's own, so tests never read each other's events."""
    return f"test.sales.{uuid.uuid4().hex[:12]}"


def preview(count: int, seed: int, *extra: str) -> list[dict]:
    """The events `generate` would publish, from its --dry-run."""
    out = run_superstore("generate", "--count", str(count), "--seed", str(seed), "--dry-run", *extra).stdout
    return [json.loads(line) for line in out.splitlines()]


@pytest.fixture
def db(endpoints):
    """An autocommit connection to the staging database, one per test: the
    local stack tests stop and start PostgreSQL, which ends connections."""
    import psycopg

    with psycopg.connect(endpoints["DATABASE_URL"], autocommit=True) as connection:
        yield connection


def scalar(db, sql: str, *params):
    return db.execute(sql, params).fetchone()[0]


def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    """The high watermark of every partition of `topic`."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "end-offsets"})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        return {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions}
    finally:
        consumer.close()


def stored_offsets(db, topic: str) -> dict[int, int]:
    rows = db.execute(
        "select partition, next_offset from staging.consumer_offsets where group_id = 'superstore-staging' and topic = %s",
        (topic,),
    ).fetchall()
    return dict(rows)


def run_until_idle(topic: str, *extra: str) -> str:
    """Runs the pipeline on `topic` until it is drained; returns its summary."""
    return run_superstore("run", "--until-idle", "--topic", topic, *extra).stdout
