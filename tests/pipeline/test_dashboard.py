"""The Grafana dashboard (deploy/grafana/dashboards/superstore.json) and the
alert rules, proven against a real Prometheus: the local stack's
(`superstore up --monitoring`) scrapes a real run of `generate` and `run`,
and every panel's PromQL, with the dashboard's variables substituted, must be
valid and return at least one series with a value. Grafana itself is not
installed here; the queries are what it would send.

The metric names are a contract: the book's metrics reference (generated
from their declarations) lists them, and the dashboard, the alert rules and
what the processes serve use those names and no others."""

import json
import math
import os
import random
import re
import shutil
import subprocess
import time
import urllib.parse

import pytest
import yaml

from support.superstore import ENVIRONMENT_AT_START, ROOT, run_superstore, superstore_binary
from support.observing import drained, free_address, get, ready, scrape, start_run, stop, wait_for

DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "superstore.json"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
HISTOGRAM_SERIES = re.compile(r"_(bucket|sum|count)$")
# What Grafana puts in place of its built-in variables, for a one-hour view
# of a Prometheus that scrapes every 5 s.
BUILT_INS = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "1h"}


def reference_metrics() -> set[str]:
    """The names in the metrics reference, generated from their declarations."""
    text = (ROOT / "docs" / "src" / "reference" / "metrics.md").read_text()
    names = set(re.findall(r"^\| `(superstore_\w+)` \|", text, re.MULTILINE))
    assert len(names) >= 10, "the metrics reference lists the metrics in one table"
    return names


def metric_names(expression: str) -> set[str]:
    return {HISTOGRAM_SERIES.sub("", n) for n in re.findall(r"\bsuperstore_\w+", expression)}


def panel_queries() -> list[tuple[str, str]]:
    """(panel title and refId, PromQL) of every target of every panel."""
    dashboard = json.loads(DASHBOARD.read_text())
    return [(f"{p['title']} {t['refId']}", t["expr"]) for p in dashboard["panels"] for t in p.get("targets", [])]


def substitute(expression: str, topic: str) -> str:
    for variable, value in BUILT_INS.items():
        expression = expression.replace(variable, value)
    expression = expression.replace("${topic}", topic).replace("$topic", topic)
    assert "$" not in expression, f"a variable is left: {expression}"
    return expression


def test_the_dashboard_shows_every_metric_of_the_reference_and_no_other():
    used = set().union(*(metric_names(q) for _, q in panel_queries()))
    assert used == reference_metrics()


def test_the_alert_rules_use_only_metrics_of_the_reference():
    rules = [r for g in yaml.safe_load(ALERTS.read_text())["groups"] for r in g["rules"]]
    used = set().union(*(metric_names(r["expr"]) for r in rules))
    assert used and used <= reference_metrics()


def test_the_dashboard_topic_variable_is_the_only_one_and_every_query_uses_a_known_variable():
    dashboard = json.loads(DASHBOARD.read_text())
    assert [v["name"] for v in dashboard["templating"]["list"]] == ["topic"]
    for title, query in panel_queries():
        substitute(query, "a.topic")  # fails on an unknown variable
        assert "superstore_" in query or query.startswith("up{"), title


def prometheus_query(url: str, query: str, at: float) -> list:
    """The result of an instant query; fails with Prometheus's error for an invalid one."""
    parameters = urllib.parse.urlencode({"query": query, "time": f"{at:.3f}"})
    status, body = get(f"{url}/api/v1/query?{parameters}")
    answer = json.loads(body) if body.startswith("{") else {}
    assert status == 200 and answer.get("status") == "success", f"{query}\n{status}: {body[:500]}"
    return answer["data"]["result"]


def has_a_value(series: dict) -> bool:
    return not math.isnan(float(series["value"][1]))


def monitoring_status(env: dict) -> dict | None:
    """Prometheus's line of `superstore status`, if it lists one."""
    status = subprocess.run([str(superstore_binary()), "status", "--json"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    services = json.loads(status.stdout or "[]")
    return next((s for s in services if s["service"] == "prometheus"), None)


@pytest.fixture
def local_prometheus(endpoints):
    """The local Prometheus, (re)started by `superstore up --monitoring` on a
    free port, scraping the addresses this test's run and generate serve on."""
    if shutil.which("prometheus") is None and not os.environ.get("PROMETHEUS_BIN"):
        pytest.fail("Prometheus is missing: scripts/setup.sh installs Debian's `prometheus` package")
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        pytest.skip("the local Prometheus belongs to the local stack")
    was_running = monitoring_status(ENVIRONMENT_AT_START) is not None
    addresses = {"run": free_address(), "generate": free_address()}
    port = free_address().rpartition(":")[2]
    env = {**os.environ, "SUPERSTORE_PROMETHEUS_PORT": port, "SUPERSTORE_METRICS_ADDR": addresses["run"],
           "SUPERSTORE_GENERATE_METRICS_ADDR": addresses["generate"]}
    started = subprocess.run([str(superstore_binary()), "up", "--monitoring"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=300)
    assert started.returncode == 0, started.stderr
    url = f"http://127.0.0.1:{port}"
    assert url in started.stdout, started.stdout
    try:
        yield url, addresses, env
    finally:
        if was_running:  # as the user had it
            subprocess.run([str(superstore_binary()), "up", "--monitoring"], cwd=ROOT,
                           env=ENVIRONMENT_AT_START, capture_output=True, timeout=300)
        else:
            run_superstore("down", "--monitoring-only")
            assert monitoring_status(env) is None, "status no longer lists the stopped Prometheus"


def test_every_dashboard_query_returns_series_from_a_real_run(local_prometheus, topic):
    url, addresses, env = local_prometheus
    status = monitoring_status(env)
    assert status and status["healthy"], status
    config = ROOT / ".superstore" / "prometheus" / "prometheus.yml"
    if os.environ.get("SUPERSTORE_HOME"):
        config = os.path.join(os.environ["SUPERSTORE_HOME"], "prometheus", "prometheus.yml")
    checked = subprocess.run(["promtool", "check", "config", str(config)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    run = start_run(topic, addresses["run"])
    try:
        wait_for("the pipeline to be ready", lambda: ready(addresses["run"]), timeout=60)
        run_superstore("generate", "--count", "30000", "--rate", "2000", "--seed", str(random.randrange(1, 2**40)),
                       "--topic", topic, "--duplicate-ratio", "0.05", "--invalid-ratio", "0.02",
                       "--metrics-addr", addresses["generate"])
        wait_for("30000 consumed and no lag", lambda: drained(addresses["run"], 30_000), timeout=120)
        served = set().union(*(metric_names(n) for n, _, _ in scrape(addresses["run"]).samples))
        assert served == reference_metrics() - {"superstore_events_published_total",
                                             "superstore_registry_requests_total"}

        def scraped_everything():
            now = time.time()
            consumed = prometheus_query(url, f'sum(superstore_events_consumed_total{{topic="{topic}"}})', now)
            # generate has exited, so its series are stale now: count the samples it left.
            published = prometheus_query(
                url, f'count_over_time(superstore_events_published_total{{topic="{topic}"}}[1m])', now)
            settled = consumed and float(consumed[0]["value"][1]) == 30_000
            return now if settled and published and float(published[0]["value"][1]) >= 2 else None

        evaluated_at = wait_for("Prometheus to scrape the whole run", scraped_everything, timeout=60)
        empty = []
        for title, query in panel_queries():
            result = prometheus_query(url, substitute(query, topic), evaluated_at)
            if not any(has_a_value(series) for series in result):
                empty.append(f"{title}: {query} -> {result}")
        assert not empty, "panels without a series:\n" + "\n".join(empty)

        parameters = urllib.parse.urlencode({"match[]": "superstore_events_consumed_total"})
        _, body = get(f"{url}/api/v1/label/topic/values?{parameters}")
        assert topic in json.loads(body)["data"], "the dashboard's topic variable offers the topic"
    finally:
        code, _, err = stop(run)
    assert code == 0, err


def test_the_local_prometheus_loads_the_alert_rules_and_scrapes_the_registry(local_prometheus):
    url, _, _ = local_prometheus
    _, body = get(f"{url}/api/v1/rules")
    groups = {g["name"]: g for g in json.loads(body)["data"]["groups"]}
    expected = yaml.safe_load(ALERTS.read_text())["groups"]
    assert set(groups) == {g["name"] for g in expected}
    for group in expected:
        loaded = groups[group["name"]]["rules"]
        assert [r["name"] for r in loaded] == [r["alert"] for r in group["rules"]]
        assert all(r["health"] != "err" for r in loaded), loaded

    def registry_up():
        _, body = get(f"{url}/api/v1/targets")
        targets = json.loads(body)["data"]["activeTargets"]
        return any(t["labels"]["job"] == "superstore-registry" and t["health"] == "up" for t in targets)

    wait_for("the registry target to be up", registry_up, timeout=30)
