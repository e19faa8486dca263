"""`/metrics` and the health probes of `superstore run`, `generate` and the
registry, against the real stack. The counters count what was committed, so
they must equal the audit tables exactly; a port already taken stops a
command at once, naming the port and the flag."""

import os
import random
import socket
import subprocess
from collections import Counter

import pytest

from support.superstore import ROOT, end_offsets, preview, run_superstore, scalar, superstore_binary
from support.faults import isolated_database
from support.observing import (
    assert_counters_equal_the_audit_tables,
    drained,
    free_address,
    get,
    get_json,
    ready,
    Samples,
    scrape,
    start_run,
    stop,
    wait_for,
)


def test_live_run_counters_equal_the_audit_tables_and_lag_reaches_zero(endpoints, db, topic):
    address = free_address()
    run = start_run(topic, address)
    try:
        wait_for("the pipeline to be ready", lambda: ready(address), timeout=60)
        seed = random.randrange(1, 2**40)
        ratios = ("--duplicate-ratio", "0.05", "--invalid-ratio", "0.02", "--return-ratio", "0.05")
        run_superstore("generate", "--count", "20000", "--seed", str(seed), "--topic", topic, *ratios)
        expected = preview(20_000, seed, *ratios)
        returns = [e for e in expected if e["record"] == "return"]
        staged_returns = sum(1 for e in returns if e["provenance"] == "fresh")
        total, refused_returns = len(expected), len(returns) - staged_returns
        metrics = wait_for(f"{total} consumed and no lag", lambda: drained(address, total), timeout=120)

        sums = assert_counters_equal_the_audit_tables(metrics, db, topic, endpoints["KAFKA_BOOTSTRAP_SERVERS"])
        assert (sums["n_in"], sums["inserted"], sums["rejected"], sums["duplicates"]) == (
            total, 18_600 + staged_returns, 400 + refused_returns, 1_000)
        staged = scalar(db, "select count(*) from staging.return_events where kafka_topic = %s", topic)
        assert metrics.value("superstore_returns_staged_total", topic=topic) == staged == staged_returns > 0
        assert metrics.value("superstore_returns_held", topic=topic) == 0
        rejected = metrics.by("superstore_events_rejected_total", "reason", topic=topic)
        broken = Counter(e["broken_rule"] for e in expected if e["provenance"] == "invalid")
        assert {r: n for r, n in rejected.items() if n} == broken, "each invalid sale and return counted under its rule"
        assert metrics.types["superstore_batch_commit_seconds"] == "histogram"
        assert metrics.value("superstore_actor_restarts_total") == 0
        assert {s["actor"] for s, _ in metrics.select("superstore_actor_restarts_total")} == {
            "source", "decoder", "writer"}

        status, body = get_json(f"http://{address}/health/ready")
        assert status == 200 and body["ready"] and body["missing"] == []
        assert set(body["checks"]) == {"partitions", "postgres", "registry"}
        assert get(f"http://{address}/health/live")[0] == 200
    finally:
        code, _, err = stop(run)
    assert code == 0, err


LAST_BUILD = "superstore_warehouse_last_build_timestamp_seconds"


def test_run_serves_when_the_warehouse_was_last_built(endpoints, db, topic):
    with isolated_database(db, endpoints) as warehouse:
        address = free_address()
        run = warehouse.spawn("run", "--topic", topic, "--metrics-addr", address)
        try:
            wait_for("the pipeline to be ready", lambda: ready(address), timeout=60)
            assert scrape(address).select(LAST_BUILD) == [({}, 0.0)], "never built: 0"
            built_at = warehouse.scalar("insert into warehouse.builds (built_at)"
                                        " values ('2026-01-02 03:04:05.25+00')"
                                        " returning extract(epoch from built_at)::float8")
            wait_for("the recorded build to be served", timeout=40,
                     check=lambda: scrape(address).select(LAST_BUILD) == [({}, built_at)])
        finally:
            code, _, err = stop(run)
        assert code == 0, err


def test_generate_counts_the_events_kafka_acknowledged(endpoints, topic):
    address = free_address()
    generate = subprocess.Popen(
        [str(superstore_binary()), "generate", "--count", "3000", "--rate", "1000", "--seed", "5",
         "--topic", topic, "--metrics-addr", address],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    seen = []
    while generate.poll() is None:
        status, body = get(f"http://{address}/metrics", timeout=1)
        if status == 200:
            seen.append(Samples(body).value("superstore_events_published_total", topic=topic))
    _, err = generate.communicate(timeout=60)
    assert generate.returncode == 0, err
    assert len(seen) > 5, "the endpoint answered while events were published"
    assert seen == sorted(seen), "the counter only grows"
    assert 0 < seen[-1] <= 3000 and seen[0] < seen[-1]
    assert sum(end_offsets(endpoints["KAFKA_BOOTSTRAP_SERVERS"], topic).values()) == 3000


def test_the_registry_counts_requests_by_route_pattern_and_status(endpoints):
    registry = endpoints["SCHEMA_REGISTRY_URL"]
    address = registry.removeprefix("http://")
    route = {"method": "GET", "route": "/subjects/{subject}/versions"}
    before = scrape(address)
    subject = f"no-such-subject-{random.randrange(10**9)}"
    assert get(f"{registry}/subjects/{subject}/versions")[0] == 404
    assert get(f"{registry}/subjects")[0] == 200
    after = scrape(address)
    assert after.value("superstore_registry_requests_total", status="404", **route) == \
        before.value("superstore_registry_requests_total", status="404", **route) + 1
    assert after.value("superstore_registry_requests_total", method="GET", route="/subjects", status="200") >= 1
    assert subject not in " ".join(str(labels) for _, labels, _ in after.samples), "no raw path in a label"


@pytest.mark.parametrize("command", ["run", "generate"])
def test_a_taken_metrics_port_stops_the_command_naming_the_port_and_the_flag(endpoints, topic, command):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = ("--count", "10") if command == "generate" else ("--until-idle",)
        result = run_superstore(command, *args, "--topic", topic, "--metrics-addr", f"127.0.0.1:{port}",
                                check=False)
    assert result.returncode == 2, result.stderr
    assert f"port {port} is already in use" in result.stderr
    assert "--metrics-addr" in result.stderr
    assert sum(end_offsets(endpoints["KAFKA_BOOTSTRAP_SERVERS"], topic).values()) == 0, "nothing was published"


def test_metrics_addr_off_serves_nothing_and_overrides_the_environment(topic):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env = {**os.environ, "SUPERSTORE_GENERATE_METRICS_ADDR": f"127.0.0.1:{taken.getsockname()[1]}"}
        result = subprocess.run(
            [str(superstore_binary()), "generate", "--count", "10", "--topic", topic, "--metrics-addr", "off"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )
    assert result.returncode == 0, result.stderr
    assert "published 10 events" in result.stdout


def test_a_metrics_addr_that_is_not_an_address_is_refused():
    result = run_superstore("run", "--metrics-addr", "localhost", check=False)
    assert result.returncode == 2
    assert "IP:PORT" in result.stderr and "off" in result.stderr
