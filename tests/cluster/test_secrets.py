"""Secrets never leave the process: with passwords in the registry URL's
userinfo and in DATABASE_URL (userinfo and `?password=`), nothing that
`generate`, `run`, `migrate` or `schemas list` prints, and nothing that
`run` serves on /health/ready, /health/live and /metrics, holds them, when
things work and when they fail (a registry that stops answering, refused or
malformed credentials, a libpq key=value string)."""

import os
import random
import secrets
import signal
import subprocess
import time
from contextlib import contextmanager
from urllib.parse import urlsplit

from support.superstore import ROOT, superstore_binary
from support.observing import drained, free_address, get, ready, stop, wait_for
from support.registry_auth import USER_INFO_VARIABLE, free_port, status_of

REGISTRY_PASSWORD = f"s3cret-pw-{secrets.token_hex(8)}"
WRONG_PASSWORD = f"wr0ng-s3cret-{secrets.token_hex(8)}"


@contextmanager
def own_registry():
    """`superstore registry` requiring ingest:REGISTRY_PASSWORD; its process and base URL."""
    env = {**os.environ, "SUPERSTORE_REGISTRY_BASIC_AUTH": f"ingest:{REGISTRY_PASSWORD}"}
    port = free_port()
    server = subprocess.Popen([str(superstore_binary()), "registry", "--bind", f"127.0.0.1:{port}"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for("the registry to answer", lambda: _answers(url), timeout=30, every=0.2)
        yield server, url
    finally:
        server.send_signal(signal.SIGCONT)
        server.terminate()
        server.communicate(timeout=30)


def _answers(url: str) -> bool:
    try:
        return status_of(f"{url}/subjects") == 401
    except OSError:
        return False


def with_userinfo(url: str, user: str, password: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{user}:{password}@{parts.netloc}{parts.path}"


def database_password(endpoints) -> str:
    return urlsplit(endpoints["DATABASE_URL"]).password


def environment(endpoints, database_url: str, registry_url: str) -> dict:
    env = {**os.environ, **endpoints, "DATABASE_URL": database_url, "SCHEMA_REGISTRY_URL": registry_url}
    env.pop(USER_INFO_VARIABLE, None)
    return env


def superstore(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(superstore_binary()), *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def unready_body(address: str) -> str | None:
    status, body = get(f"http://{address}/health/ready")
    return body if status == 503 else None


def assert_no_secret(text: str, *secret_values: str):
    for secret in secret_values:
        assert secret not in text, f"a secret was printed: {text}"


def test_a_run_with_passwords_in_its_urls_prints_and_serves_none_of_them(endpoints, topic):
    db_password = database_password(endpoints)
    db = urlsplit(endpoints["DATABASE_URL"])
    database_url = (f"postgres://{db.username}:{db_password}@{db.netloc.rsplit('@', 1)[1]}{db.path}"
                    f"?sslmode=disable&password={db_password}")
    with own_registry() as (registry, registry_url):
        env = environment(endpoints, database_url, with_userinfo(registry_url, "ingest", REGISTRY_PASSWORD))
        published = superstore(env, "generate", "--count", "20", "--seed", str(random.randrange(1, 2**40)),
                               "--topic", topic, "--metrics-addr", "off")
        assert published.returncode == 0, published.stderr
        address = free_address()
        run = subprocess.Popen([str(superstore_binary()), "run", "--topic", topic, "--metrics-addr", address,
                                "--verbose"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        try:
            wait_for("20 records staged", lambda: ready(address) and drained(address, 20), timeout=60)
            registry.send_signal(signal.SIGSTOP)  # accepts connections, answers nothing
            unready = wait_for("/health/ready to answer 503", lambda: unready_body(address), timeout=30)
            assert "no answer from http://ingest:***@127.0.0.1" in unready, unready
            registry.send_signal(signal.SIGCONT)
            bodies = [unready, get(f"http://{address}/health/ready")[1], get(f"http://{address}/health/live")[1],
                      get(f"http://{address}/metrics")[1]]
        finally:
            registry.send_signal(signal.SIGCONT)
            code, out, err = stop(run)
        assert code == 0, err
        assert out.startswith("stopped: consumed 20, accepted 20"), out
        assert_no_secret("\n".join([published.stdout, published.stderr, out, err, *bodies]),
                         db_password, REGISTRY_PASSWORD)


def test_failed_connections_name_the_url_without_its_password(endpoints):
    db = urlsplit(endpoints["DATABASE_URL"])
    server = db.netloc.rsplit("@", 1)[1]
    host, port = server.rsplit(":", 1)
    # A password the server refuses exits 2 (a setting to fix); a URL libpq cannot read, 3.
    refused_urls = (
        (f"postgres://{db.username}:{WRONG_PASSWORD}@{server}{db.path}", 2),
        (f"postgresql://{db.username}@{server}{db.path}?sslmode=disable&password={WRONG_PASSWORD}", 2),
        (f"postgres://{db.username}:%zz{WRONG_PASSWORD}@{server}{db.path}", 3),  # libpq quotes it back
        (f"host={host} port={port} user={db.username} password = '{WRONG_PASSWORD} \\' x' dbname=superstore", 2),
    )
    for database_url, code in refused_urls:
        migrate = superstore(environment(endpoints, database_url, endpoints["SCHEMA_REGISTRY_URL"]), "migrate")
        assert migrate.returncode == code, migrate.stderr
        assert "cannot connect to PostgreSQL at" in migrate.stderr and "***" in migrate.stderr, migrate.stderr
        assert_no_secret(migrate.stdout + migrate.stderr, WRONG_PASSWORD)
    with own_registry() as (_, registry_url):
        for registry_url, code in ((with_userinfo(registry_url, "ingest", WRONG_PASSWORD), 2),
                                   (with_userinfo(f"http://127.0.0.1:{free_port()}", "ingest", WRONG_PASSWORD), 3)):
            env = environment(endpoints, endpoints["DATABASE_URL"], registry_url)
            listed = superstore(env, "schemas", "list")
            assert listed.returncode == code, listed.stderr
            assert "ingest:***@127.0.0.1" in listed.stderr, listed.stderr
            assert_no_secret(listed.stdout + listed.stderr, WRONG_PASSWORD)
