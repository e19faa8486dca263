"""The benchmark of scripts/bench.sh: one run, the same rows, every figure.

Steps, on a database of its own (superstore_bench) on the stack's cluster:
  1. the generator publishes N events to a fresh topic (its rate);
  2. `bench_stages` (actors/examples) reads them with a bare rdkafka
     consumer (the Kafka ceiling) and times each stage's function on them;
  3. `superstore run --until-idle` stages them (wall clock from launch,
     steady state from the first batch's commit, start-up, peak RSS);
  4. the rows it staged are copied out in binary, then copied back in with
     one binary COPY into tables that differ by one index or column each:
     unindexed, the primary key alone, the ingested_at index alone, both,
     staging's own shape (with its checks), that shape without the order_id
     index, with a BRIN index on ingested_at, without kafka_headers, and in COPY's
     text format, as the pipeline writes it (the PostgreSQL ceiling, and
     what each index, column and the format costs per row);
  5. the naive baseline: one INSERT per event, a commit every 3,000 (Kafka
     Connect's JDBC sink's default batch.size), on the same rows;
  6. latency: the generator at a fixed rate into a running pipeline;
     produce time is the Kafka record's timestamp, commit time PostgreSQL's
     commit timestamp of the transaction (track_commit_timestamp).
With --preload N, staging first holds N events (a template staged by the
pipeline, copied by SQL with new ids), as a warehouse that has grown; with
--curve N1,N2,..., the pipeline's figures are measured on an empty staging
and then at each of those sizes, in one run, and printed as a curve; with
--returns SHARE, the sale throughput with returns of SHARE of the orders is
measured against sales alone, four runs of each (A B B A A B B A), each on an
emptied staging.
Speed is measured here, never asserted; --smoke asserts only that every
row of the table was measured.
"""

import argparse
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "target" / "release" / "superstore"
STAGES = ROOT / "target" / "release" / "examples" / "bench_stages"
NAIVE_COMMIT_EVERY = 3000
# The latency run at the default linger (a batch closes 50 ms after its
# first record at the latest) and at 250 ms, a longer linger, for comparison.
DEFAULT_LINGER_MS = 50
LATENCY_LINGERS_MS = (DEFAULT_LINGER_MS, 250)
PEAK_RSS = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(usage.ru_maxrss, usage.ru_utime + usage.ru_stime)
"""
TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> tuple[int, float]:
    """(parent pid, CPU seconds) of a process, its reaped children's included."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0, 0.0
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), sum(int(f) for f in fields[11:15]) / TICKS


def stack_home() -> Path:
    return Path(os.environ.get("SUPERSTORE_HOME") or ROOT / ".superstore")


def first_line(path: Path) -> int:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


def server_cpu() -> dict:
    """CPU seconds so far of the local stack's PostgreSQL (the postmaster and
    every backend; those that exited are in the postmaster's reaped time) and
    of its first Kafka broker. Other clusters on the machine are not counted."""
    home = stack_home()
    location = home / "postgres.location"
    postgres_dir = Path(location.read_text().strip()) if location.exists() else home / "postgres"
    data = postgres_dir / "data"
    postmaster = first_line(data / "postmaster.pid")
    postgres = process_cpu(postmaster)[1] if postmaster else 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        parent, seconds = process_cpu(int(stat.parent.name))
        if postmaster and parent == postmaster:
            postgres += seconds
    broker = first_line(home / "kafka" / "kafka.pid")
    return {"postgres": postgres, "broker": process_cpu(broker)[1] if broker else 0.0}


def run(*args: str, env: dict) -> str:
    done = subprocess.run(args, env=env, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"{' '.join(map(str, args))} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


ENDPOINTS = ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "SCHEMA_REGISTRY_URL")


def stack_env() -> dict:
    """The services in the environment, else the local stack's."""
    env = dict(os.environ)
    if all(env.get(name) for name in ENDPOINTS):
        return env
    env["SUPERSTORE_BENCH_LOCAL"] = "1"
    for line in run(str(BIN), "env", env=env).splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        env[name] = value
    return env


def fresh_database(env: dict, name: str = "superstore_bench") -> str:
    """A database of the benchmark's own, migrated; track_commit_timestamp on."""
    admin = env["DATABASE_URL"]
    with psycopg.connect(admin, autocommit=True) as db:
        if db.execute("show track_commit_timestamp").fetchone()[0] != "on":
            if not env.get("SUPERSTORE_BENCH_LOCAL"):
                sys.exit("the latency figure needs track_commit_timestamp = on in PostgreSQL:"
                         " set it (it takes a restart), or unset DATABASE_URL to use the"
                         " local stack")
            db.execute("alter system set track_commit_timestamp = on")
            restart = True
        else:
            restart = False
        db.execute(f"drop database if exists {name} with (force)")  # a name of ours
        db.execute(f"create database {name}")
    if restart:
        # The setting takes a restart of PostgreSQL; the stack restarts it.
        run(str(BIN), "down", env=env)
        run(str(BIN), "up", env=env)
    url = admin.rsplit("/", 1)[0] + "/" + name
    run(str(BIN), "migrate", env={**env, "DATABASE_URL": url})
    return url


def generate(env: dict, topic: str, count: int, seed: int, rate: float | None = None,
             returns: float = 0.0) -> float:
    """Publishes `count` sales (and returns of a `returns` share of their orders); the rate."""
    args = [str(BIN), "generate", "--count", str(count), "--seed", str(seed), "--topic", topic,
            "--metrics-addr", "off", "--return-ratio", str(returns)]
    if rate:
        args += ["--rate", str(rate)]
    out = run(*args, env=env)
    return float(re.search(r"\(([\d.]+) events/s\)", out).group(1))


def stages(env: dict, topic: str, count: int) -> dict:
    out = run(str(STAGES), env["KAFKA_BOOTSTRAP_SERVERS"], topic, str(count), env=env)
    figures = {}
    for line in out.splitlines():
        key, *values = line.split()
        figures[key] = [float(v) for v in values]
    return figures


def pipeline(env: dict, url: str, topic: str, count: int) -> dict:
    """`superstore run --until-idle`, timed from launch by the commit timestamps."""
    started = time.time()
    servers_before = server_cpu()
    # The peak RSS and CPU time of the run alone: measured by a Python process of its own.
    out = run(sys.executable, "-c", PEAK_RSS, str(BIN), "run", "--until-idle", "--topic", topic,
              "--metrics-addr", "off", env={**env, "DATABASE_URL": url})
    servers = {k: v - servers_before[k] for k, v in server_cpu().items()}
    peak_kb, run_cpu = out.splitlines()[-1].split()
    with psycopg.connect(url) as db:
        batches = db.execute(
            "select extract(epoch from pg_xact_commit_timestamp(xmin))::float8,"
            " extract(epoch from committed_at)::float8, n_in"
            " from staging.ingest_batches where topic = %s order by 1", (topic,)).fetchall()
        staged = db.execute("select count(*) from staging.sales_events where kafka_topic = %s",
                            (topic,)).fetchone()[0]
    if staged != count:
        sys.exit(f"the pipeline staged {staged} of {count} events")
    first, last = batches[0][0], batches[-1][0]
    steady_events = sum(n for _, _, n in batches[1:])
    return {
        "wall": count / (last - started),
        "steady": steady_events / (last - first) if last > first else float("nan"),
        "startup": first - started,
        "rss_mb": int(peak_kb) / 1024,
        # CPU per event, in µs: the pipeline's process, PostgreSQL, the broker serving it.
        "cpu_run_us": float(run_cpu) / count * 1e6,
        "cpu_postgres_us": servers["postgres"] / count * 1e6,
        "cpu_broker_consume_us": servers["broker"] / count * 1e6,
        "batches": len(batches),
        # Time inside the staging transactions: from its start (now()) to its commit.
        "write_s": sum(commit - begun for commit, begun, _ in batches),
        "span_s": last - started,
    }


# The tables the staged rows are copied into, each timed alone: (columns
# copied, DDL after `create table bench.rows`). Each differs from another by
# one index or column, so that their difference is what that one costs.
COPY_SHAPES = {
    "unindexed": ("*", "(like staging.sales_events)"),
    "primary_key": ("*", "(like staging.sales_events); alter table bench.rows"
                         " add primary key (event_id)"),
    "ingested_at_btree": ("*", "(like staging.sales_events); create index on bench.rows"
                               " (ingested_at)"),
    "both_indexes": ("*", "(like staging.sales_events); alter table bench.rows add primary key"
                          " (event_id); create index on bench.rows (ingested_at)"),
    "staging_shape": ("*", "(like staging.sales_events including all)"),
    "without_order_id": ("*", "(like staging.sales_events including all excluding indexes);"
                              " alter table bench.rows add primary key (event_id);"
                              " create index on bench.rows (ingested_at)"),
    "staging_brin": ("*", "(like staging.sales_events including all excluding indexes);"
                          " alter table bench.rows add primary key (event_id);"
                          " create index on bench.rows using brin (ingested_at)"),
    "staging_shape_text": ("* as text", "(like staging.sales_events including all)"),
    "without_headers": ("columns but kafka_headers",
                        "(like staging.sales_events including all);"
                        " alter table bench.rows drop column kafka_headers"),
}


def copy_out(db, topic: str, columns: str, fmt: str = "binary") -> list:
    query = f"copy (select {columns} from staging.sales_events where kafka_topic = %s)" \
            f" to stdout (format {fmt})"
    with db.cursor().copy(query, (topic,)) as copy:
        return [bytes(c) for c in copy]


def copy_ceilings(url: str, topic: str) -> dict:
    """One binary COPY of the staged rows into each shape of COPY_SHAPES."""
    with psycopg.connect(url) as db:
        names = [r[0] for r in db.execute(
            "select column_name from information_schema.columns where table_schema = 'staging'"
            " and table_name = 'sales_events' and column_name <> 'kafka_headers'"
            " order by ordinal_position").fetchall()]
        outs = {"*": copy_out(db, topic, "*"),
                "columns but kafka_headers": copy_out(db, topic, ", ".join(names)),
                "* as text": copy_out(db, topic, "*", "text")}
        figures = {}
        for name, (columns, ddl) in COPY_SHAPES.items():
            fmt = "text" if columns.endswith(" as text") else "binary"
            db.execute("drop schema if exists bench cascade; create schema bench")
            for statement in ("create table bench.rows " + ddl).split(";"):
                db.execute(statement)
            db.commit()
            started = time.perf_counter()
            with db.cursor().copy(f"copy bench.rows from stdin (format {fmt})") as copy:
                for chunk in outs[columns]:
                    copy.write(chunk)
            n = db.execute("select count(*) from bench.rows").fetchone()[0]
            db.commit()
            figures[name] = n / (time.perf_counter() - started)
        db.execute("drop schema if exists bench cascade")
        db.commit()
        return figures


def staged_count(url: str) -> int:
    with psycopg.connect(url) as db:
        return db.execute("select count(*) from staging.sales_events").fetchone()[0]


def preload(env: dict, url: str, target: int, stamp: int) -> float:
    """Tops staging up to `target` events; returns the seconds it took.

    A template of a few thousand events is staged by the pipeline itself;
    the rest are its rows copied by SQL with new event ids, older ingestion
    times and offsets of their own, a million per transaction.
    """
    started = time.time()
    have = staged_count(url)
    if have >= target:
        return 0.0
    template = f"bench.preload.{stamp}"
    # A quarter of what is missing (so that a small preload also takes the SQL path), at most
    # 20,000 events through the pipeline.
    template_count = max(1, min(20_000, (target - have) // 4))
    # A seed of its own: the same seed would give the same event ids as an
    # earlier template, all of them duplicates.
    generate(env, template, template_count, seed=stamp * 31 + target)
    run(str(BIN), "run", "--until-idle", "--topic", template, "--metrics-addr", "off",
        "--instance-id", "none", env={**env, "DATABASE_URL": url})
    have = staged_count(url)
    columns = [c for c in table_columns(url) if c not in ("event_id", "kafka_offset",
                                                           "ingested_at", "kafka_topic")]
    listed = ", ".join(columns)
    with psycopg.connect(url) as db:
        round_ = 0
        while have < target:
            round_ += 1
            copies = max(1, min(1_000_000, target - have) // template_count)
            db.execute(
                f"insert into staging.sales_events (event_id, kafka_topic, kafka_offset,"
                f" ingested_at, {listed})"
                f" select gen_random_uuid(), 'bench.preloaded', t.kafka_offset"
                f" + (k + %s) * {template_count}, t.ingested_at - make_interval(days => k + %s),"
                f" {listed} from staging.sales_events t, generate_series(1, %s) k"
                f" where t.kafka_topic = %s limit %s",
                (round_ * 1000, round_ * 1000, copies, template, target - have))
            db.commit()
            added, have = staged_count(url) - have, staged_count(url)
            if added <= 0:
                sys.exit(f"preload: the template topic {template} staged nothing to copy")
            print(f"  preload: {have:,} events staged", flush=True)
        db.execute("analyze staging.sales_events")
        db.commit()
    return time.time() - started


def table_columns(url: str) -> list:
    with psycopg.connect(url) as db:
        return [r[0] for r in db.execute(
            "select column_name from information_schema.columns where table_schema = 'staging'"
            " and table_name = 'sales_events' order by ordinal_position").fetchall()]


def naive_baseline(url: str, topic: str, limit: int) -> float:
    """One INSERT per event, a commit per batch, into a table like staging's."""
    with psycopg.connect(url) as db:
        rows = db.execute("select * from staging.sales_events where kafka_topic = %s limit %s",
                          (topic, limit)).fetchall()
        db.execute("drop schema if exists bench cascade; create schema bench")
        db.execute("create table bench.rows (like staging.sales_events including all)")
        db.commit()
        insert = "insert into bench.rows values (" + ", ".join(["%s"] * len(rows[0])) + ")"
        started = time.perf_counter()
        with db.cursor() as cursor:
            for i, row in enumerate(rows, 1):
                cursor.execute(insert, row)
                if i % NAIVE_COMMIT_EVERY == 0:
                    db.commit()
        db.commit()
        return len(rows) / (time.perf_counter() - started)


def wait_ready(address: str, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://{address}/health/ready", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    sys.exit("the pipeline of the latency run did not become ready")


def wait_staged(url: str, topic: str, count: int, timeout: float = 60) -> None:
    """Waits until `count` records of `topic` are committed to staging."""
    with psycopg.connect(url, autocommit=True) as db:
        deadline = time.time() + timeout
        query = "select coalesce(sum(n_in), 0) from staging.ingest_batches where topic = %s"
        while db.execute(query, (topic,)).fetchone()[0] < count:
            if time.time() > deadline:
                sys.exit(f"the latency run did not stage {count} events of {topic}")
            time.sleep(0.05)


def latency(env: dict, url: str, topic: str, rate: int, seconds: int, linger_ms: int,
            seed: int) -> dict:
    """The generator at `rate` into a running pipeline: produce-to-commit percentiles."""
    count = rate * seconds
    address = env.get("SUPERSTORE_METRICS_ADDR") or "127.0.0.1:9898"
    # The topic exists before the pipeline subscribes, with no event yet.
    generate(env, topic, 1, seed=seed + 1)
    # A dynamic member: the latency runs follow each other on new topics in one
    # group, and a static member that stopped would hold the next one's join
    # for its session timeout.
    pipeline_process = subprocess.Popen(
        [str(BIN), "run", "--topic", topic, "--metrics-addr", address,
         "--linger-ms", str(linger_ms), "--instance-id", "none"],
        env={**env, "DATABASE_URL": url}, cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(address)
        # Flowing, not only ready: the topic's first event is staged (the
        # first records after a start wait for the first fetch).
        wait_staged(url, topic, 1)
        achieved = generate(env, topic, count, seed=seed, rate=rate)
        wait_staged(url, topic, count + 1)
        with psycopg.connect(url, autocommit=True) as db:
            p50, p99 = db.execute(
                "select percentile_cont(array[0.5, 0.99]) within group (order by extract(epoch"
                " from pg_xact_commit_timestamp(xmin) - kafka_timestamp))"
                " from staging.sales_events where kafka_topic = %s"
                " and kafka_timestamp > (select min(kafka_timestamp)"
                " from staging.sales_events where kafka_topic = %s)",
                (topic, topic)).fetchone()[0]
    finally:
        pipeline_process.send_signal(signal.SIGTERM)
        pipeline_process.wait(timeout=60)
    return {"p50_ms": p50 * 1000, "p99_ms": p99 * 1000, "rate": achieved}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--smoke", action="store_true", help="a tiny run that checks every row")
    parser.add_argument("--preload", type=int, default=0, metavar="N",
                        help="stage N events first, then measure")
    parser.add_argument("--curve", metavar="N1,N2,...",
                        help="the pipeline's figures on an empty staging, then at these sizes")
    parser.add_argument("--returns", type=float, metavar="SHARE",
                        help="sale throughput with returns of SHARE of the orders, against"
                             " sales alone before and after")
    args = parser.parse_args()
    n = 12_000 if args.smoke else args.events
    env = stack_env()
    url = fresh_database(env)
    stamp = int(time.time())
    if args.curve:
        sizes = [int(size) for size in args.curve.split(",")]
        print_curve(curve(env, url, n, sizes, stamp), os.getloadavg()[0])
        return
    if args.returns is not None:
        print_returns(with_returns(env, url, n, args.returns, stamp), os.getloadavg()[0])
        return
    preloaded = preload(env, url, args.preload or (8_000 if args.smoke else 0), stamp)
    topic = f"bench.sales.{stamp}"
    load = os.getloadavg()[0]
    staged_before = staged_count(url)
    print(f"benchmark: {n} events on topic {topic}, {staged_before:,} staged before,"
          f" load average {load:.2f}", flush=True)
    broker_before = server_cpu()["broker"]
    generator_rate = generate(env, topic, n, seed=14)
    broker_produce_us = (server_cpu()["broker"] - broker_before) / n * 1e6
    stage_figures = stages(env, topic, n)
    run_figures = pipeline(env, url, topic, n)
    copies = copy_ceilings(url, topic)
    naive = naive_baseline(url, topic, 1000 if args.smoke else min(n, 30_000))
    latency_rate, latency_seconds = 20_000, (1 if args.smoke else 10)
    lat = {linger: latency(env, url, f"bench.latency.{linger}.{stamp}", latency_rate,
                           latency_seconds, linger, seed=stamp + linger)
           for linger in LATENCY_LINGERS_MS}
    rows = table(n, generator_rate, stage_figures, run_figures, copies, naive, lat)
    costs = cost_rows(n, stage_figures, run_figures, broker_produce_us, url)
    rows += costs
    rows.append((f"preload: {staged_before:,} events staged first (s)", preloaded or 0.0,
                 "template through the pipeline, the rest by SQL"))
    print_table(rows, os.getloadavg()[0])
    if args.smoke:
        missing = [label for label, value, _ in rows if value != value]
        # The servers' CPU is read from this machine's processes: only the local stack's.
        remote = not env.get("SUPERSTORE_BENCH_LOCAL")
        missing += [label for label, value, _ in rows if not value and "preload" not in label
                    and not (remote and label.startswith(("cost:", "model", "  model")))]
        if missing:
            sys.exit(f"smoke: rows not measured: {missing}")
        print(f"smoke: all {len(rows)} rows measured")
    by_label = {label: value for label, value, _ in costs}
    print_capacity(run_figures, broker_produce_us,
                   by_label["cost: Avro value on Kafka (bytes/event)"],
                   by_label["cost: staging on disk (bytes/event)"])


def curve(env: dict, url: str, n: int, sizes: list, stamp: int) -> list:
    """The pipeline on `n` new events with staging empty, then at each size."""
    points = []
    for size in [0] + sizes:
        preload(env, url, size, stamp + size)
        before = staged_count(url)
        topic = f"bench.curve.{before}.{stamp}"
        generate(env, topic, n, seed=stamp % 997 + len(points))
        print(f"curve: {n:,} events with {before:,} staged", flush=True)
        points.append((before, pipeline(env, url, topic, n)))
    return points


def with_returns(env: dict, url: str, n: int, share: float, stamp: int) -> list:
    """The pipeline on `n` sales alone (A) and with returns of `share` of their orders
    (B), in the order A B B A A B B A, each on an emptied staging (the pipeline slows
    as staging grows, which would favour the runs that come first). (label, sales/s,
    events/s) of each, in the order they ran."""
    runs = []
    for number, returns in enumerate((0.0, share, share, 0.0) * 2):
        with psycopg.connect(url) as db:
            db.execute("truncate staging.sales_events, staging.return_events")
        topic = f"bench.returns.{number}.{stamp}"
        generate(env, topic, n, seed=stamp % 991 + number, returns=returns)
        figures = pipeline(env, url, topic, n)
        with psycopg.connect(url) as db:
            staged_returns = db.execute(
                "select count(*) from staging.return_events where kafka_topic = %s",
                (topic,)).fetchone()[0]
        events = figures["steady"]
        sales = events * n / (n + staged_returns)
        label = f"{staged_returns:,} returns" if returns else "sales alone"
        print(f"returns: {n:,} sales, {label}", flush=True)
        runs.append((label, sales, events))
    return runs


def print_returns(runs: list, load: float) -> None:
    alone = [sales for label, sales, _ in runs if label == "sales alone"]
    mixed = [sales for label, sales, _ in runs if label != "sales alone"]
    mean = statistics.mean(alone)
    print(f"{'run':>22} {'sales/s':>10} {'events/s':>10} {'sales/s ÷ alone':>16}")
    for label, sales, events in runs:
        print(f"{label:>22} {sales:>10,.0f} {events:>10,.0f} {sales / mean:>16.2f}")
    noise = statistics.stdev(alone) / mean
    print(f"sales/s with returns ÷ sales alone (means of {len(mixed)} runs each):"
          f" {statistics.mean(mixed) / mean:.2f}; the runs of sales alone vary by {noise:.2f}"
          f" (standard deviation ÷ mean), those with returns by"
          f" {statistics.stdev(mixed) / statistics.mean(mixed):.2f}")
    print(f"goal: sale throughput unchanged within that noise; load average at the end:"
          f" {load:.2f}")


def print_curve(points: list, load: float) -> None:
    base = points[0][1]["steady"]
    print(f"{'staged before':>14} {'steady (events/s)':>18} {'ratio to empty':>15}"
          f" {'start-up (s)':>13} {'peak RSS (MB)':>14}")
    for before, figures in points:
        print(f"{before:>14,} {figures['steady']:>18,.0f} {figures['steady'] / base:>15.2f}"
              f" {figures['startup']:>13.2f} {figures['rss_mb']:>14.0f}")
    print(f"goals: steady >= 0.80 of empty at 10M, start-up < 1 s, peak RSS <= 256 MB;"
          f" load average at the end: {load:.2f}")


def cost_rows(n: int, st: dict, rf: dict, broker_produce_us: float, url: str) -> list:
    """What one event costs each part, the figures the capacity model is built on,
    and the model's prediction of this run's steady state against the measure."""
    with psycopg.connect(url) as db:
        row_bytes = db.execute(
            "select pg_total_relation_size('staging.sales_events')::float8"
            " / greatest(count(*), 1) from staging.sales_events").fetchone()[0]
    cpu = rf["cpu_run_us"] + rf["cpu_postgres_us"] + rf["cpu_broker_consume_us"]
    cores = os.cpu_count() or 1
    predicted = cores / cpu * 1e6
    return [
        ("cost: pipeline CPU per event (µs)", rf["cpu_run_us"], "superstore run, all threads"),
        ("cost: PostgreSQL CPU per event (µs)", rf["cpu_postgres_us"], "every backend"),
        ("cost: broker CPU per event consumed (µs)", rf["cpu_broker_consume_us"], "Kafka's JVM"),
        ("cost: broker CPU per event produced (µs)", broker_produce_us, "while generating"),
        ("cost: Avro value on Kafka (bytes/event)", st["consumed_value_bytes"][0] / n,
         "before replication"),
        ("cost: staging on disk (bytes/event)", row_bytes, "table, indexes and TOAST"),
        (f"model: steady state on {cores} cores (events/s)", predicted,
         f"cores / {cpu:.1f} µs of CPU per event"),
        ("  model / measured steady state", predicted / rf["steady"], "goal within 0.8-1.2"),
    ]


CAPACITY_RATES = (10_000, 100_000, 1_000_000)


def print_capacity(rf: dict, broker_produce_us: float, value_bytes: float,
                   row_bytes: float) -> None:
    """What each rate needs by the capacity model (docs/src/performance/capacity.md), from
    this run's costs per event."""
    p, g = rf["cpu_run_us"] / 1e6, rf["cpu_postgres_us"] / 1e6
    kafka = (broker_produce_us + rf["cpu_broker_consume_us"]) / 1e6
    print(f"\ncapacity model, from this run's costs per event (pipeline {p * 1e6:.1f} µs,"
          f" PostgreSQL {g * 1e6:.1f} µs, broker {kafka * 1e6:.1f} µs per copy,"
          f" {value_bytes:.0f} B on Kafka, {row_bytes:.0f} B in staging):")
    print(f"{'rate':>10} {'instances':>9} {'partitions':>10} {'pipeline':>9} {'PostgreSQL':>10}"
          f" {'brokers':>8} {'staging/day':>12} {'PG writes':>10} {'Kafka writes':>12}")
    for rate in CAPACITY_RATES:
        instances = max(1, math.ceil(rate * g))
        print(f"{rate:>10,} {instances:>9} {max(3, 2 * instances):>10}"
              f" {rate * p:>7.1f} c {rate * g:>8.1f} c {rate * kafka * 3:>6.1f} c"
              f" {rate * row_bytes * 86_400 / 1e9:>9,.0f} GB"
              f" {2 * rate * row_bytes / 1e6:>7,.0f} MB/s {rate * value_bytes * 3 / 1e6:>9,.0f} MB/s")


def per_row_us(rate: float) -> float:
    return 1e6 / rate


def copy_rows(copies: dict) -> list:
    """Each shape's ceiling, and what each index and column costs per row."""
    us = {name: per_row_us(rate) for name, rate in copies.items()}
    return [
        ("ceiling: binary COPY, unindexed (rows/s)", copies["unindexed"], ""),
        ("ceiling: binary COPY, primary key (rows/s)", copies["primary_key"], ""),
        ("ceiling: binary COPY, staging's shape (rows/s)", copies["staging_shape"],
         "primary key, ingested_at index, checks"),
        ("PostgreSQL per row, unindexed (µs)", us["unindexed"], "the COPY itself"),
        ("  cost of the primary key, uuid btree (µs/row)", us["primary_key"] - us["unindexed"],
         "random keys"),
        ("  cost of the ingested_at btree (µs/row)", us["ingested_at_btree"] - us["unindexed"],
         ""),
        ("  cost of the checks (µs/row)", us["without_order_id"] - us["both_indexes"],
         "staging's shape without the order_id index, against both indexes alone"),
        ("  cost of the order_id btree (µs/row)", us["staging_shape"] - us["without_order_id"],
         "the order aggregate's lookup of an order's lines"),
        ("  cost of kafka_headers, empty jsonb (µs/row)",
         us["staging_shape"] - us["without_headers"], "staging's shape without it"),
        ("  staging's shape with BRIN on ingested_at (µs/row)", us["staging_brin"],
         f"against {us['staging_shape']:.2f} with the btree"),
        ("  staging's shape, COPY in text format (µs/row)", us["staging_shape_text"],
         f"against {us['staging_shape']:.2f} in binary: what text parsing costs"),
    ]


def table(n, generator_rate, st, rf, copies, naive, lat) -> list:
    consumer = st["consumed"][0] / st["consumer_seconds"][0]
    pipe = rf["steady"]
    rows = [
        ("pipeline, steady state (events/s)", pipe, "from the first batch's commit"),
        ("pipeline, wall clock from launch (events/s)", rf["wall"], "start-up included"),
        ("  ratio to bare consumer", pipe / consumer, ""),
        ("  ratio to binary COPY, unindexed", pipe / copies["unindexed"], "goal >= 0.35"),
        ("  ratio to binary COPY, primary key", pipe / copies["primary_key"], ""),
        ("  ratio to binary COPY, staging's shape", pipe / copies["staging_shape"],
         "goal >= 0.75"),
        ("  ratio to naive INSERT per event", pipe / naive, ""),
        ("ceiling: bare rdkafka consumer (events/s)", consumer, "assigned, no group join"),
    ]
    rows += copy_rows(copies)
    rows += [
        ("baseline: one INSERT per event (rows/s)", naive,
         f"commit every {NAIVE_COMMIT_EVERY}, psycopg"),
        ("start-up: launch to first batch committed (s)", rf["startup"], "goal < 1 s"),
    ]
    for linger, figures in lat.items():
        default = " (default)" if linger == DEFAULT_LINGER_MS else ""
        at = f"at {figures['rate']:,.0f}/s, --linger-ms {linger}{default}"
        rows.append((f"latency p50 {at} (ms)", figures["p50_ms"], "Kafka record time to commit"))
        rows.append((f"latency p99 {at} (ms)", figures["p99_ms"], ""))
    rows += [
        ("peak RSS of run (MB)", rf["rss_mb"], "getrusage of the process; goal <= 256"),
        ("generator (events/s)", generator_rate, ""),
    ]
    for stage in ("decode", "validate", "dedup", "rows"):
        seconds, count = st[f"stage_{stage}_seconds"]
        rows.append((f"stage {stage}: µs per event, one thread", seconds / count * 1e6,
                     f"{count / seconds:,.0f}/s alone"))
    rows.append(("stage write: µs per event in transactions", rf["write_s"] / n * 1e6,
                 f"{rf['write_s']:.2f} s of {rf['span_s']:.2f} s, {rf['batches']} batches"))
    return rows


def print_table(rows: list, load: float) -> None:
    print(f"{'figure':<52} {'value':>12}  how")
    for label, value, note in rows:
        shown = f"{value:.2f}" if abs(value) < 100 else f"{value:,.0f}"
        print(f"{label:<52} {shown:>12}  {note}")
    print(f"load average at the end: {load:.2f}")


if __name__ == "__main__":
    main()
