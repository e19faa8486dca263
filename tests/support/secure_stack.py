"""A secure local stack of the test's own (`superstore up --secure`), in a
directory of its own and on ports of its own, so that it never disturbs the
plain stack the other tests use.

Ports: SUPERSTORE_SECURE_TEST_PORT (default 26400) is Kafka's SASL_SSL
listener; + 2 its mutual-TLS listener, + 4 its TLS listener, + 1 its
controller, + 10 PostgreSQL, + 11 the registry, + 12 a second registry that
requires client certificates. All lie below Linux's ephemeral range.

Every command's output is kept (`outputs`), so that a test can show that no
secret was ever printed."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from support.superstore import ROOT, exported_environment, superstore_binary

# What a client of another stack may carry in the environment, and must not here.
CLIENT_VARIABLES = (
    "KAFKA_BOOTSTRAP_SERVERS",
    "DATABASE_URL",
    "SCHEMA_REGISTRY_URL",
    "SUPERSTORE_KAFKA_PROPERTIES",
    "SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO",
)


class SecureStack:
    def __init__(self):
        self.base = int(os.environ.get("SUPERSTORE_SECURE_TEST_PORT", "26400"))
        self.home = Path(tempfile.mkdtemp(prefix="superstore-secure-"))
        # The service user Kafka and the registry run as (when root) must reach it.
        self.home.chmod(0o755)
        self.env = {
            name: value
            for name, value in os.environ.items()
            if name not in CLIENT_VARIABLES
            and not name.startswith(("KAFKA_", "SCHEMA_REGISTRY_SSL_"))
        }
        self.env.update(
            SUPERSTORE_HOME=str(self.home),
            SUPERSTORE_KAFKA_PORT=str(self.base),
            SUPERSTORE_KAFKA_CONTROLLER_PORT=str(self.base + 1),
            SUPERSTORE_POSTGRES_PORT=str(self.base + 10),
            SUPERSTORE_REGISTRY_PORT=str(self.base + 11),
        )
        self.exported: dict = {}
        self.outputs: list[str] = []

    @property
    def tls(self) -> Path:
        return self.home / "tls"

    def superstore(
        self, *args: str, env: dict | None = None, timeout: int = 300, keep: bool = True
    ) -> subprocess.CompletedProcess:
        """`superstore ARGS` as a client with the exported settings (and `env` over them); its
        output is kept unless `keep` is false (`superstore env`, which prints secrets on purpose)."""
        done = subprocess.run(
            [str(superstore_binary()), *args],
            cwd=ROOT,
            env={**self.env, **self.exported, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if keep:
            self.outputs += [done.stdout, done.stderr]
        return done

    def up(self) -> None:
        started = self.superstore("up", "--secure", timeout=600)
        assert started.returncode == 0, f"superstore up --secure: {started.returncode}\n{started.stderr[-3000:]}"
        self.exported = exported_environment(self.superstore("env", keep=False).stdout)

    def down(self) -> None:
        self.superstore("down", timeout=180)
        shutil.rmtree(self.home, ignore_errors=True)

    def passwords(self) -> list[str]:
        return [
            self.exported["KAFKA_SASL_PASSWORD"],
            self.exported["SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO"].split(":", 1)[1],
            urlsplit(self.exported["DATABASE_URL"]).password,
        ]

    def database_url(self, name: str) -> str:
        """The URL of another database of the secure cluster, TLS settings kept."""
        return urlunsplit(urlsplit(self.exported["DATABASE_URL"])._replace(path="/" + name))

    def kafka_config(self, **overrides) -> dict:
        """confluent-kafka's settings, from the exported variables alone."""
        e = self.exported
        return {
            "bootstrap.servers": e["KAFKA_BOOTSTRAP_SERVERS"],
            "security.protocol": e["KAFKA_SECURITY_PROTOCOL"],
            "sasl.mechanisms": e["KAFKA_SASL_MECHANISM"],
            "sasl.username": e["KAFKA_SASL_USERNAME"],
            "sasl.password": e["KAFKA_SASL_PASSWORD"],
            "ssl.ca.location": e["KAFKA_SSL_CA_LOCATION"],
            **overrides,
        }

    def registry_config(self) -> dict:
        """confluent-kafka's SchemaRegistryClient settings, from the exported variables."""
        e = self.exported
        return {
            "url": e["SCHEMA_REGISTRY_URL"],
            "basic.auth.user.info": e["SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO"],
            "ssl.ca.location": e["SCHEMA_REGISTRY_SSL_CA_LOCATION"],
        }

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.exported["DATABASE_URL"], autocommit=True) as conn:
            conn.execute(f"create database {name}")  # a name of ours, not input
        return self.database_url(name)
