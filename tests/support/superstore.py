"""The `superstore` binary under test and what it leaves behind: running it
from the repository root, reading `superstore env`, previewing `generate`,
a scratch warehouse of a test's own, and the offsets Kafka and PostgreSQL
hold. Plain functions, so that tests and the other helpers import them;
the fixtures built on them live in tests/conftest.py."""

import json
import os
import shlex
import subprocess
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The environment before conftest.py points every `run` and `generate` at
# ports the system picks: the dashboard test starts processes as a user
# would, with the defaults.
ENVIRONMENT_AT_START = dict(os.environ)


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


def preview(count: int, seed: int, *extra: str) -> list[dict]:
    """The events `generate` would publish, from its --dry-run."""
    out = run_superstore("generate", "--count", str(count), "--seed", str(seed), "--dry-run", *extra).stdout
    return [json.loads(line) for line in out.splitlines()]


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


def consume_all(bootstrap: str, topic: str, expected: int) -> list:
    """Up to `expected` messages of `topic` from its start (fewer after 30 idle polls)."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"interop-{uuid.uuid4()}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    metadata = consumer.list_topics(topic, timeout=10)
    partitions = [TopicPartition(topic, p, 0) for p in metadata.topics[topic].partitions]
    consumer.assign(partitions)
    messages = []
    idle_polls = 0
    while len(messages) < expected and idle_polls < 30:
        message = consumer.poll(1.0)
        if message is None:
            idle_polls += 1
            continue
        assert message.error() is None, message.error()
        messages.append(message)
    consumer.close()
    return messages


def stored_offsets(db, topic: str) -> dict[int, int]:
    rows = db.execute(
        "select partition, next_offset from staging.consumer_offsets where group_id = 'superstore-staging' and topic = %s",
        (topic,),
    ).fetchall()
    return dict(rows)


def run_until_idle(topic: str, *extra: str) -> str:
    """Runs the pipeline on `topic` until it is drained; returns its summary."""
    return run_superstore("run", "--until-idle", "--topic", topic, *extra).stdout
