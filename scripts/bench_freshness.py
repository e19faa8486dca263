"""The freshness benchmark of scripts/bench-freshness.sh: how long a sale
takes from Kafka to the marts, with the warehouse built by Airflow's own
scheduler every minute while the pipeline streams.

Steps, on a database of its own (superstore_freshness) on the stack's cluster:
  1. `superstore run` runs live on a fresh topic, and stages a first batch
     of events (every category: the first build fixes the pivot's columns);
  2. `scripts/airflow.sh standalone` (scheduler, dag-processor, triggerer,
     API server; metadata in a PostgreSQL database of its own) runs the DAG
     superstore_warehouse on the schedule `* * * * *`; the DAG is unpaused
     and its first run (which creates the warehouse) is waited for;
  3. the generator publishes at a fixed rate (`--rate`) for `--minutes`;
  4. once every staged batch is in marts.daily_sales, per streamed event: from its
     Kafka timestamp to the commit of the daily_sales build that took its
     batch (PostgreSQL's commit timestamp of the model's row in
     core.built_ingest_batches, written in the transaction of the mart's
     rows: the moment the event became visible there). Also from the Kafka
     timestamp to staging, and the scheduled runs' durations.
Prints figures; asserts nothing.
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg

from bench import BIN, ROOT, fresh_database, generate, run, stack_env, wait_ready

DAG_ID = "superstore_warehouse"
WARM_UP_EVENTS = 1000
DATABASE = "superstore_freshness"
METADATA_DATABASE = "superstore_freshness_airflow"
HOME = Path(os.environ.get("SUPERSTORE_HOME") or ROOT / ".superstore") / "bench-freshness"


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def airflow_env(env: dict, url: str) -> dict:
    """Airflow on the benchmark's warehouse, every minute, metadata in PostgreSQL."""
    port = env.get("SUPERSTORE_AIRFLOW_PORT") or "18080"
    if not port_is_free(int(port)):
        sys.exit(f"port {port} is taken (an Airflow already running?): stop it, or set"
                 " SUPERSTORE_AIRFLOW_PORT to a free port below 32768")
    return {**env, "DATABASE_URL": url, "AIRFLOW_HOME": str(HOME / "airflow"),
            "SUPERSTORE_AIRFLOW_PORT": port, "SUPERSTORE_AIRFLOW_METADATA": "postgres",
            "SUPERSTORE_AIRFLOW_DATABASE": METADATA_DATABASE,
            "SUPERSTORE_DBT_SCHEDULE": "* * * * *"}


def fresh_airflow(env: dict) -> None:
    """No metadata, configuration or logs of an earlier run."""
    shutil.rmtree(HOME, ignore_errors=True)
    HOME.mkdir(parents=True)
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as db:
        db.execute(f"drop database if exists {METADATA_DATABASE} with (force)")  # a name of ours


def metadata_rows(url: str, sql: str, *params) -> list:
    try:
        with psycopg.connect(url.rsplit("/", 1)[0] + "/" + METADATA_DATABASE) as db:
            return db.execute(sql, params).fetchall()
    except (psycopg.OperationalError, psycopg.errors.UndefinedTable):
        return []


def wait(what: str, condition, timeout: float, every: float = 2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    sys.exit(f"timed out after {timeout:.0f} s waiting for {what}; the logs are in {HOME}")


def stop_group(process: subprocess.Popen) -> None:
    """SIGTERM to the process group, SIGKILL to what is left of it after 30 s."""
    for signum, grace in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        deadline = time.time() + grace
        try:
            os.killpg(process.pid, signum)
            while time.time() < deadline:
                process.poll()  # reaps the leader
                os.killpg(process.pid, 0)  # fails once nothing is left in the group
                time.sleep(0.5)
        except ProcessLookupError:
            return


def staged(url: str, topic: str) -> int:
    with psycopg.connect(url) as db:
        return db.execute("select coalesce(sum(n_in), 0) from staging.ingest_batches"
                          " where topic = %s", (topic,)).fetchone()[0]


def all_built(url: str, topic: str, count: int) -> bool:
    """Every event is staged, and every batch of `topic` is in marts.daily_sales."""
    with psycopg.connect(url) as db:
        staged, unbuilt = db.execute(
            "select coalesce(sum(n_in), 0), count(*) filter (where not exists (select 1 from"
            " core.built_ingest_batches built where built.model = 'daily_sales'"
            " and built.batch_id = batches.batch_id))"
            " from staging.ingest_batches batches where topic = %s", (topic,)).fetchone()
    return staged >= count and unbuilt == 0


FIGURES = """
with visible as (
    select batch_id, pg_xact_commit_timestamp(xmin) as visible_at
    from core.built_ingest_batches where model = 'daily_sales'
), events as (
    select extract(epoch from visible.visible_at - sales.kafka_timestamp) as to_marts,
           extract(epoch from batches.committed_at - sales.kafka_timestamp) as to_staging
    from staging.sales_events sales
    join staging.ingest_batches batches
        on batches.committed_at = sales.ingested_at and batches.topic = sales.kafka_topic
    join visible using (batch_id)
    where sales.kafka_topic = %s and sales.kafka_timestamp >= to_timestamp(%s)
)
select count(*),
       percentile_cont(array[0.5, 0.99]) within group (order by to_marts),
       max(to_marts),
       percentile_cont(array[0.5, 0.99]) within group (order by to_staging)
from events
"""


def scheduled_runs(url: str, since: float) -> list:
    """Seconds each scheduled run took, of those that started after `since`."""
    rows = metadata_rows(url, "select extract(epoch from end_date - start_date) from dag_run"
                              " where dag_id = %s and run_type = 'scheduled' and state = 'success'"
                              " and start_date > to_timestamp(%s)", DAG_ID, since)
    return sorted(float(r[0]) for r in rows)


def last_build_gauge(address: str) -> float | None:
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=5) as response:
        for line in response.read().decode().splitlines():
            if line.startswith("superstore_warehouse_last_build_timestamp_seconds "):
                return float(line.split()[1])
    return None


def stream_and_build(env: dict, url: str, topic: str, rate: int, minutes: float) -> dict:
    """Steps 1 to 4 above; returns the figures."""
    address = env.get("SUPERSTORE_METRICS_ADDR") or "127.0.0.1:9898"
    generate(env, topic, WARM_UP_EVENTS, seed=1)  # before the first build, and the stream
    pipeline = subprocess.Popen([str(BIN), "run", "--topic", topic, "--metrics-addr", address],
                                env={**env, "DATABASE_URL": url}, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    airflow_vars = airflow_env(env, url)
    fresh_airflow(env)
    with open(HOME / "standalone.out", "w") as log:
        airflow = subprocess.Popen([str(ROOT / "scripts" / "airflow.sh"), "standalone"], cwd=ROOT,
                                   env=airflow_vars, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        wait_ready(address)
        wait("the warm-up events to be staged", lambda: staged(url, topic) >= WARM_UP_EVENTS, 120)
        wait("the DAG to be parsed", lambda: metadata_rows(
            url, "select 1 from dag where dag_id = %s", DAG_ID), 300)
        run(str(ROOT / "scripts" / "airflow.sh"), "dags", "unpause", DAG_ID, env=airflow_vars)
        first = wait("the first scheduled run", lambda: metadata_rows(
            url, "select state from dag_run where dag_id = %s and state in ('success', 'failed')",
            DAG_ID), 600)
        if first[0][0] != "success":
            sys.exit(f"the first scheduled run failed; its task logs are in {HOME}/airflow/logs")
        started = time.time()
        count = int(rate * minutes * 60)
        achieved = generate(env, topic, count, seed=int(started), rate=rate)
        wait("every event to reach marts.daily_sales",
             lambda: all_built(url, topic, count + WARM_UP_EVENTS), 900)
        gauge = last_build_gauge(address)
        with psycopg.connect(url) as db:
            events, (p50, p99), worst, (staging_p50, staging_p99) = db.execute(
                FIGURES, (topic, started)).fetchone()
        return {"rate": achieved, "events": events, "p50": p50, "p99": p99, "max": worst,
                "staging_p50": staging_p50, "staging_p99": staging_p99,
                "runs": scheduled_runs(url, started),
                "gauge_age": None if gauge is None else time.time() - gauge}
    finally:
        stop_group(airflow)
        pipeline.send_signal(signal.SIGTERM)
        pipeline.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=100, help="events per second (default 100)")
    parser.add_argument("--minutes", type=float, default=6, help="minutes of streaming (default 6)")
    args = parser.parse_args()
    # Stopped with SIGTERM, it still stops what it started (the finally blocks run).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))
    env = stack_env()
    url = fresh_database(env, DATABASE)
    load = os.getloadavg()[0]
    figures = stream_and_build(env, url, f"bench.freshness.{int(time.time())}", args.rate,
                               args.minutes)
    runs = figures["runs"]
    print(f"load average at the start: {load:.1f}")
    print(f"streamed {figures['events']:,} events at {figures['rate']:,.0f} events/s for"
          f" {args.minutes:g} min; DAG schedule every minute, {len(runs)} scheduled runs")
    print(f"{'Kafka timestamp to marts.daily_sales, p50 / p99 / max':<56}"
          f" {figures['p50']:6.1f} / {figures['p99']:6.1f} / {figures['max']:6.1f} s")
    print(f"{'Kafka timestamp to staging, p50 / p99':<56}"
          f" {figures['staging_p50']:6.2f} / {figures['staging_p99']:6.2f} s")
    if runs:
        print(f"{'scheduled run, shortest / median / longest':<56}"
              f" {runs[0]:6.1f} / {runs[len(runs) // 2]:6.1f} / {runs[-1]:6.1f} s")
    if figures["gauge_age"] is not None:
        print(f"{'superstore_warehouse_last_build_timestamp_seconds, age':<56}"
              f" {figures['gauge_age']:6.1f} s")


if __name__ == "__main__":
    main()
