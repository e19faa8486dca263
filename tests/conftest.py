"""Fixtures of the end-to-end tests: they drive the `superstore` binary
against the running local stack (or the services named by the three
environment variables) and check what lands in Kafka, the registry and
PostgreSQL. The helpers they share are the `support` package beside this
file; the tests live in folders by what they prove:

- pipeline/: `generate`, `run` and `import` on the local stack, with the
  inputs, health, metrics, dashboard and dead letters a user sees;
- faults/: a real component made to fail (a slow or locked database, a
  rebalance, a signal, hostile metadata), and nothing lost or doubled;
- registry/: the schema registry's contract, schema evolution and logical
  types, and interop with Confluent's and Apicurio's clients;
- warehouse/: the migrations, dbt's layers on staging, and the DAG that
  Airflow's scheduler runs;
- cluster/: deployments beyond the default stack: a 3-broker cluster, TLS
  and SASL, secrets in URLs, and the Docker stack;
- analytics/: the notebooks and Superset, on the marts the DAG built.
"""

import os
import uuid

import pytest

from support.superstore import exported_environment, run_superstore

# Every `run` and `generate` of the tests serves its metrics on a port the
# system picks, so that no test depends on the default ports being free and
# pipelines started side by side never collide. The metrics tests choose
# their own addresses.
os.environ["SUPERSTORE_METRICS_ADDR"] = "127.0.0.1:0"
os.environ["SUPERSTORE_GENERATE_METRICS_ADDR"] = "127.0.0.1:0"
# The tests start many short-lived pipelines, each on a throwaway topic, in
# one consumer group: the case static membership is not for (a static member
# keeps its partitions for the session timeout after it stops, and every
# rebalance of the group waits for it). They run as dynamic members; the
# tests of static membership (faults/test_fault_restart.py) ask for it.
os.environ["SUPERSTORE_INSTANCE_ID"] = "none"


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


@pytest.fixture
def db(endpoints):
    """An autocommit connection to the staging database (one per test: some
    tests stop and start PostgreSQL, pipeline/test_local_stack.py restarts
    the whole stack)."""
    import psycopg

    with psycopg.connect(endpoints["DATABASE_URL"], autocommit=True) as connection:
        yield connection
