"""Helpers of the observability tests: free loopback addresses, HTTP gets,
reading a `/metrics` page in the Prometheus text format, a live `superstore
run`, and the comparison of its counters with the audit tables."""

import json
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

from support.superstore import ROOT, end_offsets, superstore_binary

GROUP = "superstore-staging"

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def free_address() -> str:
    """127.0.0.1:PORT with a port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


def get(url: str, timeout: float = 5) -> tuple[int, str]:
    """Status and body of GET url; (0, reason) when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()
    except (urllib.error.URLError, OSError) as unreachable:
        return 0, str(unreachable)


def get_json(url: str) -> tuple[int, dict]:
    status, body = get(url)
    return status, (json.loads(body) if body.startswith("{") else {})


class Samples:
    """The samples of one scrape: name and labels to value."""

    def __init__(self, text: str):
        self.samples: list[tuple[str, dict, float]] = []
        self.types: dict[str, str] = {}
        for line in text.splitlines():
            if line.startswith("# TYPE "):
                _, _, name, kind = line.split(" ", 3)
                self.types[name] = kind
            if not line or line.startswith("#"):
                continue
            match = SAMPLE.match(line)
            assert match, f"not a sample line of the text format: {line!r}"
            name, labels, value = match.groups()
            self.samples.append((name, dict(LABEL.findall(labels or "")), float(value)))

    def select(self, name: str, **labels: str) -> list[tuple[dict, float]]:
        return [(l, v) for n, l, v in self.samples if n == name and labels.items() <= l.items()]

    def value(self, name: str, **labels: str) -> float:
        """The sum over the series of `name` that carry `labels`."""
        return sum(v for _, v in self.select(name, **labels))

    def by(self, name: str, label: str, **labels: str) -> dict[str, float]:
        """`name` summed by one label."""
        summed: dict[str, float] = {}
        for series, value in self.select(name, **labels):
            summed[series[label]] = summed.get(series[label], 0) + value
        return summed


def scrape(address: str) -> Samples:
    status, body = get(f"http://{address}/metrics")
    assert status == 200, f"GET http://{address}/metrics answered {status}: {body[:300]}"
    return Samples(body)


def wait_for(what: str, check, timeout: float, every: float = 0.5):
    """Polls `check` until it returns something truthy; fails naming `what`."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")


def start_run(topic: str, address: str, *extra: str) -> subprocess.Popen:
    """`superstore run` (live, not --until-idle) serving its metrics on `address`."""
    return subprocess.Popen(
        [str(superstore_binary()), "run", "--topic", topic, "--metrics-addr", address, *extra],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def stop(process: subprocess.Popen) -> tuple[int, str, str]:
    """SIGTERM (the pipeline commits its open batch), then its exit code and output."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    return process.returncode, out, err


def ready(address: str) -> bool:
    return get(f"http://{address}/health/ready")[0] == 200


def drained(address: str, count: int, partitions: int = 3):
    """The scrape once `count` records are consumed and every partition's lag is 0."""
    metrics = scrape(address)
    lags = metrics.select("superstore_consumer_lag")
    consumed = metrics.value("superstore_events_consumed_total")
    if consumed == count and len(lags) == partitions and all(v == 0 for _, v in lags):
        return metrics
    return None


def audit(db, topic: str) -> dict:
    row = db.execute(
        "select count(*), coalesce(sum(n_in), 0), coalesce(sum(n_inserted), 0), "
        "coalesce(sum(n_rejected), 0), coalesce(sum(n_duplicate), 0) "
        "from staging.ingest_batches where group_id = %s and topic = %s",
        (GROUP, topic),
    ).fetchone()
    return dict(zip(("batches", "n_in", "inserted", "rejected", "duplicates"), row))


def assert_counters_equal_the_audit_tables(metrics, db, topic: str, bootstrap: str):
    sums = audit(db, topic)
    assert metrics.value("superstore_events_consumed_total", topic=topic) == sums["n_in"]
    assert metrics.value("superstore_events_staged_total", topic=topic) == sums["inserted"]
    assert metrics.value("superstore_events_rejected_total", topic=topic) == sums["rejected"]
    assert metrics.value("superstore_events_duplicate_total", topic=topic) == sums["duplicates"]
    # A fresh topic: each partition's consumed records run from offset 0 to its end.
    consumed = metrics.by("superstore_events_consumed_total", "partition", topic=topic)
    assert {int(p): n for p, n in consumed.items()} == end_offsets(bootstrap, topic)
    # One observation per committed batch (one audit row each).
    assert metrics.value("superstore_batch_size_count") == sums["batches"]
    assert metrics.value("superstore_batch_size_sum") == sums["n_in"]
    assert metrics.value("superstore_batch_commit_seconds_count") == sums["batches"]
    rejected = metrics.by("superstore_events_rejected_total", "reason", topic=topic)
    by_reason = dict(db.execute(
        "select reason, count(*) from staging.rejected_events where topic = %s group by reason", (topic,)
    ).fetchall())
    assert {r: n for r, n in rejected.items() if n} == by_reason
    return sums
