"""`generate` fails loudly, with the cause, the fix and a meaningful exit
code, when a service it needs is missing or its arguments are wrong."""

import os
import socket
import subprocess

from support.superstore import ROOT, superstore_binary


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def generate_with(env_overrides: dict, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "SCHEMA_REGISTRY_URL")}
    env.update(env_overrides)
    return subprocess.run(
        [str(superstore_binary()), "generate", "--count", "10", "--seed", "1", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_unreachable_kafka_exits_3_naming_the_cause_and_the_fix(endpoints):
    port = closed_port()
    result = generate_with({**endpoints, "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{port}"})
    assert result.returncode == 3, result.stderr
    assert "Kafka is unreachable" in result.stderr
    assert f"KAFKA_BOOTSTRAP_SERVERS (now 127.0.0.1:{port})" in result.stderr
    assert "Fix:" in result.stderr


def test_unreachable_registry_exits_3_naming_the_cause_and_the_fix(endpoints):
    port = closed_port()
    result = generate_with({**endpoints, "SCHEMA_REGISTRY_URL": f"http://127.0.0.1:{port}"})
    assert result.returncode == 3, result.stderr
    assert "schema registry is unreachable" in result.stderr
    assert "Fix:" in result.stderr


def test_setting_only_some_service_variables_is_refused(endpoints):
    result = generate_with({"KAFKA_BOOTSTRAP_SERVERS": endpoints["KAFKA_BOOTSTRAP_SERVERS"]})
    assert result.returncode == 2
    assert "DATABASE_URL and SCHEMA_REGISTRY_URL are not set" in result.stderr


def test_ratios_that_leave_no_fresh_events_are_refused(endpoints):
    result = generate_with(endpoints, "--duplicate-ratio", "0.7", "--invalid-ratio", "0.4", "--dry-run")
    assert result.returncode == 2
    assert "below 1" in result.stderr
