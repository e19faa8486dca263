"""Fixtures of the end-to-end tests: they drive the `superstore` binary
against the running local stack (or the services named by the three
environment variables) and check what lands in Kafka, the registry and
PostgreSQL."""

import json
import os
import shlex
import subprocess
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Every `run` and `generate` of the tests serves its metrics on a port the
# system picks, so that no test depends on the default ports being free and
# pipelines started side by side never collide. The metrics tests choose
# their own addresses.
ENVIRONMENT_AT_START = dict(os.environ)
os.environ["SUPERSTORE_METRICS_ADDR"] = "127.0.0.1:0"
os.environ["SUPERSTORE_GENERATE_METRICS_ADDR"] = "127.0.0.1:0"
# The tests start many short-lived pipelines, each on a throwaway topic, in
# one consumer group: the case static membership is not for (a static member
# keeps its partitions for the session timeout after it stops, and every
# rebalance of the group waits for it). They run as dynamic members; the
# tests of static membership (test_fault_restart.py) ask for it.
os.environ["SUPERSTORE_INSTANCE_ID"] = "none"


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


def exported_environment(text: str) -> dict:
    """The variables `superstore env` exports (its values are shell words: quoted when they
    hold `?` or `&`, as the secure stack's URL does)."""
    exported = {}
    for line in text.splitlines():
        words = shlex.split(line)
        if words[:1] == ["export"]:
            name, _, value = words[1].partition("=")
            exported[name] = value
    return exported


@pytest.fixture(scope="session")
def endpoints() -> dict:
    """KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL and SCHEMA_REGISTRY_URL of the stack under test."""
    names = ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "SCHEMA_REGISTRY_URL")
    if all(os.environ.get(n) for n in names):
        return {n: os.environ[n] for n in names}
    run_superstore("up")
    return exported_environment(run_superstore("env").stdout)


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
    """An autocommit connection to the staging database (one per test: some
    tests stop and start PostgreSQL, tests/test_local_stack.py restarts the
    whole stack)."""
    import psycopg

    with psycopg.connect(endpoints["DATABASE_URL"], autocommit=True) as connection:
        yield connection


def scalar(db, sql: str, *params):
    return db.execute(sql, params).fetchone()[0]


@contextmanager
def scratch_warehouse(db, endpoints, prefix: str, *damage: str):
    """A migrated database of its own, damaged by the `damage` statements
    (to show how `run` meets a warehouse it cannot use), dropped at the end.
    Yields the environment that points `superstore` at it."""
    import psycopg

    database = f"{prefix}_{uuid.uuid4().hex[:10]}"
    db.execute(f"create database {database}")  # a name of ours, not input
    try:
        url = endpoints["DATABASE_URL"].rsplit("/", 1)[0] + "/" + database
        env = {**os.environ, **endpoints, "DATABASE_URL": url}
        migrate = subprocess.run([str(superstore_binary()), "migrate"], cwd=ROOT, env=env,
                                 capture_output=True, text=True)
        assert migrate.returncode == 0, migrate.stderr
        with psycopg.connect(url, autocommit=True) as scratch:
            for statement in damage:
                scratch.execute(statement)
        yield env
    finally:
        db.execute(f"drop database if exists {database} with (force)")


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
