"""The superstore_warehouse DAG run by Airflow's own scheduler, not by `dags
test`: what a scheduled run needs with the LocalExecutor (the scheduler, the
dag-processor that parses the DAG, the API server that task runners report
to) is started through scripts/airflow.sh, all at once on a fresh
AIRFLOW_HOME and a PATH without the venv, with the metadata in a PostgreSQL
database the script creates. The DAG runs every minute on a warehouse of the
test's own: a scheduled run builds the marts from what was staged, and the
next one takes the events staged after it, incrementally. Everything started
is stopped, process groups and all.

SUPERSTORE_AIRFLOW_TEST_PORT (27390) is the API server's port: below Linux's
ephemeral ports, which the earlier tests' connections hold at random."""

import datetime as dt
import os
import random
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
import pytest

from support.superstore import ROOT
from support.faults import isolated_database, wait_for

DAG_ID = "superstore_warehouse"
COMPONENTS = ("scheduler", "dag-processor", "api-server")
API_PORT = os.environ.get("SUPERSTORE_AIRFLOW_TEST_PORT", "27390")
VENV_BIN = str(ROOT / ".venv" / "bin")


class Airflow:
    """Airflow's components on the project, through scripts/airflow.sh."""

    def __init__(self, warehouse, home: Path):
        self.home = home
        self.metadata_name = f"airflow_{uuid.uuid4().hex[:10]}"
        self.metadata_url = warehouse.url.rsplit("/", 1)[0] + "/" + self.metadata_name
        path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p != VENV_BIN)
        self.env = {**warehouse.env, "PATH": path, "AIRFLOW_HOME": str(home),
                    "SUPERSTORE_AIRFLOW_METADATA": "postgres",
                    "SUPERSTORE_AIRFLOW_DATABASE": self.metadata_name,
                    "SUPERSTORE_AIRFLOW_PORT": API_PORT, "SUPERSTORE_DBT_SCHEDULE": "* * * * *"}
        self.processes: list[subprocess.Popen] = []

    def start(self, component: str) -> None:
        """`scripts/airflow.sh COMPONENT` in a session (and process group) of its own."""
        with open(self.home / f"{component}.out", "w") as log:
            self.processes.append(subprocess.Popen(
                [str(ROOT / "scripts" / "airflow.sh"), component], cwd=ROOT, env=self.env,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True))

    def cli(self, *args: str) -> str:
        done = subprocess.run([str(ROOT / "scripts" / "airflow.sh"), *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, f"airflow {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def rows(self, sql: str, *params) -> list:
        """Rows of the metadata database; none while it is not there yet."""
        try:
            with psycopg.connect(self.metadata_url, connect_timeout=5) as conn:
                return conn.execute(sql, params).fetchall()
        except (psycopg.OperationalError, psycopg.errors.UndefinedTable):
            return []

    def sessions(self) -> list[str]:
        """Processes left in the sessions of the components (their children included)."""
        for process in self.processes:
            process.poll()  # a component that has exited is reaped, not listed
        leaders = {p.pid for p in self.processes}
        listing = subprocess.run(["ps", "-eo", "pid=,sid=,args="], capture_output=True, text=True)
        return [line.strip() for line in listing.stdout.splitlines()
                if int(line.split()[1]) in leaders]

    def stop(self) -> list[str]:
        """SIGTERM to every component's process group, SIGKILL to what is left after 30 s;
        returns what SIGTERM left."""
        for process in self.processes:
            signal_group(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while self.sessions() and time.monotonic() < deadline:
            time.sleep(0.5)
        left = self.sessions()
        for process in self.processes:
            signal_group(process.pid, signal.SIGKILL)
        for line in left:  # one that left its group for a group of its own
            signal_pid(int(line.split()[0]), signal.SIGKILL)
        for process in self.processes:
            process.wait(timeout=30)
        return left

    def wait(self, condition, timeout: float, what: str):
        """wait_for, with the components' output and the task logs when it times out."""
        try:
            return wait_for(condition, timeout, what, interval=1)
        except AssertionError as timeout_error:
            raise AssertionError(f"{timeout_error}\n{self.diagnosis()}") from None

    def diagnosis(self) -> str:
        """The components' output and the task logs, for a failed wait."""
        logs = sorted(self.home.glob("*.out")) + sorted(self.home.glob("logs/dag_id=*/**/*.log"))
        tails = [f"--- {f.name}\n{f.read_text(errors='replace')[-3000:]}" for f in logs]
        runs = self.rows("select run_id, run_type, state from dag_run where dag_id = %s", DAG_ID)
        tasks = self.rows("select run_id, task_id, state, try_number from task_instance"
                          " where dag_id = %s", DAG_ID)
        return f"runs: {runs}\ntasks: {tasks}\n" + "\n".join(tails)


def signal_group(pid: int, signum: int) -> None:
    try:
        os.killpg(pid, signum)
    except ProcessLookupError:
        pass


def signal_pid(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def stage(warehouse, topic: str, count: int) -> None:
    """Publishes `count` sales to `topic` and stages them in the test's warehouse."""
    seed = str(random.randrange(1, 2**40))
    for args in (("generate", "--count", str(count), "--seed", seed, "--topic", topic),
                 ("run", "--until-idle", "--topic", topic)):
        done = warehouse.superstore(*args)
        assert done.returncode == 0, done.stderr


def totals(warehouse) -> tuple[tuple, tuple]:
    """Sales and units, in staging and in marts.daily_sales."""
    staged = warehouse.rows("select sum(sales), sum(quantity) from staging.sales_events")[0]
    marts = warehouse.rows("select sum(sales), sum(units) from marts.daily_sales")[0]
    return staged, marts


def wait_for_scheduled_run(airflow: Airflow, core_started_after: dt.datetime) -> None:
    """Waits for the first scheduled run whose `build` task started after the given time
    (so it saw what was staged by then) to finish, and fails unless it succeeded."""
    def finished():
        rows = airflow.rows(
            "select r.state from dag_run r join task_instance t"
            " on t.dag_id = r.dag_id and t.run_id = r.run_id and t.task_id = 'build'"
            " where r.dag_id = %s and r.run_type = 'scheduled' and t.start_date > %s"
            " order by t.start_date limit 1", DAG_ID, core_started_after)
        return rows[0][0] if rows and rows[0][0] in ("success", "failed") else None

    assert airflow.wait(finished, 240, "a scheduled run") == "success", airflow.diagnosis()


@pytest.fixture
def warehouse(db, endpoints):
    with isolated_database(db, endpoints) as isolated:
        yield isolated


@pytest.fixture
def airflow(warehouse, db):
    with tempfile.TemporaryDirectory(prefix="superstore-airflow-") as home:
        airflow = Airflow(warehouse, Path(home))
        try:
            yield airflow
        finally:
            left_after_sigterm = airflow.stop()
            assert airflow.sessions() == [], "every process the components started is gone"
            db.execute(f"drop database if exists {airflow.metadata_name} with (force)")  # our name
            assert left_after_sigterm == [], f"processes ignored SIGTERM: {left_after_sigterm}"


def test_a_scheduled_run_builds_the_marts_and_the_next_one_takes_new_events_incrementally(
        warehouse, airflow, topic):
    stage(warehouse, topic, 2000)
    for component in COMPONENTS:  # at once: the first migrates the metadata, the others wait
        airflow.start(component)
    airflow.wait(lambda: airflow.rows("select 1 from dag where dag_id = %s", DAG_ID), 240,
                 "the dag-processor to register the DAG")
    airflow.cli("dags", "unpause", DAG_ID)

    wait_for_scheduled_run(airflow, dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1))
    staged, marts = totals(warehouse)
    assert marts == staged and staged[1] > 0, "the marts hold what was staged"
    built_before = warehouse.rows("select model, batch_id, xmin::text from core.built_ingest_batches")

    stage(warehouse, topic, 1000)
    wait_for_scheduled_run(airflow, dt.datetime.now(dt.timezone.utc))
    staged, marts = totals(warehouse)
    assert marts == staged, "the next run took the new events"
    built_after = warehouse.rows("select model, batch_id, xmin::text from core.built_ingest_batches")
    assert set(built_before) < set(built_after), "earlier batches were not rebuilt: incremental"
    unbuilt = warehouse.rows(
        "select batch_id from staging.ingest_batches except"
        " select batch_id from core.built_ingest_batches where model = 'daily_sales'")
    assert unbuilt == [], "daily_sales lists every staged batch"
    assert warehouse.scalar("select count(*) from warehouse.builds") >= 2, "each run recorded its build"
