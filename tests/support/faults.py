"""Helpers of the fault tests: a database of the test's own (migrated, and
dropped afterwards), a topic with partitions of the test's choosing, valid
sales serialized by confluent-kafka's own AvroSerializer, runs of the
pipeline against that database, and the conservation check every fault test
ends with."""

import datetime as dt
import os
import signal
import subprocess
import threading
import time
import uuid
from contextlib import contextmanager
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

import psycopg
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from support.superstore import ROOT, superstore_binary

SCHEMA_V1 = (ROOT / "schemas" / "sale" / "v1.avsc").read_text()


class Isolated:
    """A migrated database of one test, and the environment that points `superstore` at it."""

    def __init__(self, endpoints: dict, name: str):
        self.name = name
        # Another database of the same server; a query (sslmode, sslrootcert) stays.
        self.url = urlunsplit(urlsplit(endpoints["DATABASE_URL"])._replace(path="/" + name))
        self.env = {**os.environ, **endpoints, "DATABASE_URL": self.url}
        self.endpoints = endpoints

    def connect(self, **kwargs) -> psycopg.Connection:
        return psycopg.connect(self.url, autocommit=True, **kwargs)

    def scalar(self, sql: str, *params):
        with self.connect() as conn:
            return conn.execute(sql, params).fetchone()[0]

    def rows(self, sql: str, *params) -> list:
        with self.connect() as conn:
            return conn.execute(sql, params).fetchall()

    def superstore(self, *args: str, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(superstore_binary()), *args],
            cwd=ROOT,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def spawn(self, *args: str, env: dict | None = None) -> subprocess.Popen:
        return subprocess.Popen(
            [str(superstore_binary()), *args],
            cwd=ROOT,
            env={**self.env, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


@contextmanager
def isolated_database(db, endpoints):
    """A fresh database with the migrations applied, dropped at the end."""
    name = f"fault_{uuid.uuid4().hex[:10]}"
    db.execute(f"create database {name}")  # a name of ours, not input
    try:
        isolated = Isolated(endpoints, name)
        migrate = isolated.superstore("migrate")
        assert migrate.returncode == 0, migrate.stderr
        yield isolated
    finally:
        db.execute(f"drop database if exists {name} with (force)")


def create_topic(endpoints, topic: str, partitions: int = 1, config: dict | None = None) -> None:
    admin = AdminClient({"bootstrap.servers": endpoints["KAFKA_BOOTSTRAP_SERVERS"]})
    new = NewTopic(topic, partitions, config=config or {})
    admin.create_topics([new])[topic].result(timeout=30)


def delete_topic(endpoints, topic: str) -> None:
    admin = AdminClient({"bootstrap.servers": endpoints["KAFKA_BOOTSTRAP_SERVERS"]})
    admin.delete_topics([topic])[topic].result(timeout=30)
    # Deletion is asynchronous in KRaft: wait until the name is free again.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if topic not in admin.list_topics(timeout=10).topics:
            return
        time.sleep(0.5)
    raise AssertionError(f"{topic} was not deleted within 60 s")


def sale(order_number: int, **overrides) -> dict:
    """A valid sale as confluent-kafka's AvroSerializer takes it."""
    order_date = dt.date(2025, 6, 1)
    event = {
        "event_id": uuid.uuid4(),
        "event_time": dt.datetime(2025, 6, 1, 14, 30, tzinfo=dt.timezone.utc),
        "order_id": f"FT-2025-{order_number:07d}",
        "order_date": order_date,
        "ship_date": order_date + dt.timedelta(days=3),
        "ship_mode": "SECOND_CLASS",
        "customer": {"customer_id": "FT-00001", "customer_name": "Grace Hopper", "segment": "CORPORATE"},
        "location": {
            "country": "United States",
            "state": "Washington",
            "city": "Seattle",
            "postal_code": "98103",
            "region": "WEST",
        },
        "product": {
            "product_id": "TEC-PH-10001600",
            "product_name": "Conference Speakerphone",
            "category": "TECHNOLOGY",
            "sub_category": "Phones",
        },
        "sales": Decimal("279.99"),
        "quantity": 1,
        "discount": Decimal("0.00"),
        "profit": Decimal("61.60"),
    }
    event.update(overrides)
    return event


class Publisher:
    """Publishes sales (or raw values) to one topic, keyed by order id, with
    `schema` (v1 unless told), registered on first use."""

    def __init__(self, endpoints, topic: str, schema: str = SCHEMA_V1):
        registry = SchemaRegistryClient({"url": endpoints["SCHEMA_REGISTRY_URL"]})
        self.serializer = AvroSerializer(registry, schema, conf={"auto.register.schemas": True})
        self.context = SerializationContext(topic, MessageField.VALUE)
        self.producer = Producer({"bootstrap.servers": endpoints["KAFKA_BOOTSTRAP_SERVERS"], "enable.idempotence": True})
        self.topic = topic

    def serialize(self, event: dict) -> bytes:
        return self.serializer(event, self.context)

    def sale(self, event: dict, **kwargs) -> None:
        self.producer.produce(self.topic, key=event["order_id"], value=self.serialize(event), **kwargs)

    def raw(self, key: bytes, value: bytes | None, **kwargs) -> None:
        self.producer.produce(self.topic, key=key, value=value, **kwargs)

    def flush(self) -> None:
        assert self.producer.flush(30) == 0, "every message is delivered"


def batch_totals(isolated: Isolated, topic: str, group: str = "superstore-staging") -> tuple:
    """(n_in, inserted, rejected, duplicates) over every committed batch of `group` on `topic`."""
    row = isolated.rows(
        "select coalesce(sum(n_in), 0), coalesce(sum(n_inserted), 0), coalesce(sum(n_rejected), 0), "
        "coalesce(sum(n_duplicate), 0) from staging.ingest_batches where topic = %s and group_id = %s",
        topic,
        group,
    )[0]
    return tuple(int(n) for n in row)


def assert_conservation(isolated: Isolated, topic: str, consumed: int, group: str = "superstore-staging") -> tuple:
    """Every consumed record is accounted for exactly once: the batches add up, the
    staged and quarantined rows are exactly what the batches say, and the stored
    offsets cover every record of the topic."""
    n_in, inserted, rejected, duplicates = batch_totals(isolated, topic, group)
    assert n_in == consumed, f"{n_in} records went through committed batches, {consumed} were published"
    assert n_in == inserted + rejected + duplicates, "conservation: consumed = inserted + rejected + duplicates"
    rejected_rows = isolated.scalar(
        "select count(*) from staging.rejected_events where topic = %s and group_id = %s", topic, group
    )
    assert rejected_rows == rejected, "one quarantine row per rejected record, no more"
    return n_in, inserted, rejected, duplicates


def staged_count(isolated: Isolated, topic: str) -> int:
    return isolated.scalar("select count(*) from staging.sales_events where kafka_topic = %s", topic)


def stop(process: subprocess.Popen, timeout: int = 60) -> tuple[int, str, str]:
    """SIGTERM, then the exit code and output; fails if the process ignores it."""
    process.send_signal(signal.SIGTERM)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(f"the pipeline ignored SIGTERM for {timeout} s\n{err[-3000:]}")
    return process.returncode, out, err


SHARE_LOCK_ON_SALES = "lock table staging.sales_events in share mode"


class HeldLock:
    """Another session takes a table lock (`statement`, a LOCK TABLE) and holds it for
    `seconds`, or until `let_go`; taken by the time the constructor returns."""

    def __init__(self, isolated: Isolated, statement: str, seconds: float = 120):
        self.release = threading.Event()
        held = threading.Event()

        def hold():
            with isolated.connect() as conn, conn.transaction():
                conn.execute(statement)
                held.set()
                self.release.wait(seconds)

        self.thread = threading.Thread(target=hold)
        self.thread.start()
        assert held.wait(10), "the lock was taken"

    def join(self) -> None:
        """Waits until the holder lets go by itself, its `seconds` over."""
        self.thread.join()

    def let_go(self) -> None:
        self.release.set()
        self.thread.join()


def wait_for(condition, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
