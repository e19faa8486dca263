"""The benchmark of scripts/bench.sh: one run, the same rows, every figure.

Steps, on a database of its own (superstore_bench) on the stack's cluster:
  1. the generator publishes N events to a fresh topic (its rate);
  2. `bench_stages` (actors/examples) reads them with a bare rdkafka
     consumer (the Kafka ceiling) and times each stage's function on them;
  3. `superstore run --until-idle` stages them (wall clock from launch,
     steady state from the first batch's commit, start-up, peak RSS);
  4. the rows it staged are copied out in binary, then copied back in with
     one binary COPY into an unindexed table, a table with the primary key
     and a table shaped like staging.sales_events (the PostgreSQL ceiling);
  5. the naive baseline: one INSERT per event, a commit every 3,000 (Kafka
     Connect's JDBC sink's default batch.size), on the same rows;
  6. latency: the generator at a fixed rate into a running pipeline;
     produce time is the Kafka record's timestamp, commit time PostgreSQL's
     commit timestamp of the transaction (track_commit_timestamp).
Speed is measured here, never asserted; --smoke asserts only that every
row of the table was measured.
"""

import argparse
import os
import re
import signal
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
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


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


def generate(env: dict, topic: str, count: int, seed: int, rate: float | None = None) -> float:
    args = [str(BIN), "generate", "--count", str(count), "--seed", str(seed), "--topic", topic,
            "--metrics-addr", "off"]
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
    # The peak RSS of the run alone: measured by a Python process of its own.
    out = run(sys.executable, "-c", PEAK_RSS, str(BIN), "run", "--until-idle", "--topic", topic,
              "--metrics-addr", "off", env={**env, "DATABASE_URL": url})
    peak_kb = int(out.splitlines()[-1])
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
        "rss_mb": peak_kb / 1024,
        "batches": len(batches),
        # Time inside the staging transactions: from its start (now()) to its commit.
        "write_s": sum(commit - begun for commit, begun, _ in batches),
        "span_s": last - started,
    }


def copy_ceilings(url: str, topic: str) -> dict:
    """One binary COPY of the staged rows into three tables, each timed alone."""
    with psycopg.connect(url) as db:
        chunks = []
        query = ("copy (select * from staging.sales_events where kafka_topic = %s)"
                 " to stdout (format binary)")
        with db.cursor().copy(query, (topic,)) as copy:
            chunks = [bytes(c) for c in copy]
        shapes = {
            "copy_unindexed": "create table bench.rows (like staging.sales_events)",
            "copy_pk": "create table bench.rows (like staging.sales_events);"
                       " alter table bench.rows add primary key (event_id)",
            "copy_staging_shape": "create table bench.rows"
                                  " (like staging.sales_events including all)",
        }
        figures = {}
        for name, ddl in shapes.items():
            db.execute("drop schema if exists bench cascade; create schema bench")
            for statement in ddl.split(";"):
                db.execute(statement)
            db.commit()
            started = time.perf_counter()
            with db.cursor().copy("copy bench.rows from stdin (format binary)") as copy:
                for chunk in chunks:
                    copy.write(chunk)
            n = db.execute("select count(*) from bench.rows").fetchone()[0]
            db.commit()
            figures[name] = n / (time.perf_counter() - started)
        return figures


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
    args = parser.parse_args()
    n = 12_000 if args.smoke else args.events
    latency_rate, latency_seconds = 20_000, (1 if args.smoke else 10)
    naive_rows = 1000 if args.smoke else min(n, 30_000)
    env = stack_env()
    url = fresh_database(env)
    stamp = int(time.time())
    topic = f"bench.sales.{stamp}"
    load = os.getloadavg()[0]
    print(f"benchmark: {n} events on topic {topic}, load average {load:.2f}", flush=True)
    generator_rate = generate(env, topic, n, seed=14)
    stage_figures = stages(env, topic, n)
    run_figures = pipeline(env, url, topic, n)
    copies = copy_ceilings(url, topic)
    naive = naive_baseline(url, topic, naive_rows)
    lat = {linger: latency(env, url, f"bench.latency.{linger}.{stamp}", latency_rate,
                           latency_seconds, linger, seed=stamp + linger)
           for linger in LATENCY_LINGERS_MS}
    rows = table(n, generator_rate, stage_figures, run_figures, copies, naive, lat)
    print_table(rows, os.getloadavg()[0])
    if args.smoke:
        missing = [label for label, value, _ in rows if not value or value != value]
        if missing:
            sys.exit(f"smoke: rows not measured: {missing}")
        print(f"smoke: all {len(rows)} rows measured")


def table(n, generator_rate, st, rf, copies, naive, lat) -> list:
    consumer = st["consumed"][0] / st["consumer_seconds"][0]
    pipe = rf["steady"]
    rows = [
        ("pipeline, steady state (events/s)", pipe, "from the first batch's commit"),
        ("pipeline, wall clock from launch (events/s)", rf["wall"], "start-up included"),
        ("  ratio to bare consumer", pipe / consumer, ""),
        ("  ratio to binary COPY, unindexed", pipe / copies["copy_unindexed"], ""),
        ("  ratio to binary COPY, primary key", pipe / copies["copy_pk"], ""),
        ("  ratio to binary COPY, staging's shape", pipe / copies["copy_staging_shape"], ""),
        ("  ratio to naive INSERT per event", pipe / naive, ""),
        ("ceiling: bare rdkafka consumer (events/s)", consumer, "assigned, no group join"),
        ("ceiling: binary COPY, unindexed (rows/s)", copies["copy_unindexed"], ""),
        ("ceiling: binary COPY, primary key (rows/s)", copies["copy_pk"], ""),
        ("ceiling: binary COPY, staging's shape (rows/s)", copies["copy_staging_shape"],
         "primary key and ingested_at index"),
        ("baseline: one INSERT per event (rows/s)", naive,
         f"commit every {NAIVE_COMMIT_EVERY}, psycopg"),
        ("start-up: launch to first batch committed (s)", rf["startup"], "warm stack"),
    ]
    for linger, figures in lat.items():
        default = " (default)" if linger == DEFAULT_LINGER_MS else ""
        at = f"at {figures['rate']:,.0f}/s, --linger-ms {linger}{default}"
        rows.append((f"latency p50 {at} (ms)", figures["p50_ms"], "Kafka record time to commit"))
        rows.append((f"latency p99 {at} (ms)", figures["p99_ms"], ""))
    rows += [
        ("peak RSS of run (MB)", rf["rss_mb"], "getrusage of the process"),
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
