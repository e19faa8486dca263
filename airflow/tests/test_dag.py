"""The superstore_warehouse DAG, parsed the way the scheduler parses it.

Each test parses the DAG folder afresh with DagBag, under the environment it
sets, since the DAG reads its configuration from the environment at parse time.
The tests parse files only: they need no metadata database.
"""

import atexit
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

DAGS_FOLDER = Path(__file__).resolve().parents[1] / "dags"
PROJECT_DIR = DAGS_FOLDER.parents[1]

# Airflow reads AIRFLOW_HOME and its configuration once, when it is first
# imported, so they are set before the import.
if "airflow" in sys.modules:
    raise RuntimeError("airflow was imported before airflow/tests/test_dag.py could configure it")
airflow_home = tempfile.mkdtemp(prefix="superstore-airflow-tests-")
atexit.register(shutil.rmtree, airflow_home, ignore_errors=True)
os.environ.update(
    {
        "AIRFLOW_HOME": airflow_home,
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED": "False",
        "DO_NOT_TRACK": "1",
        "SCARF_NO_ANALYTICS": "true",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
)

from airflow.dag_processing.dagbag import DagBag  # noqa: E402  (after the environment above)

DAG_ID = "superstore_warehouse"
LAYERS = ["staging", "core", "marts"]
TELEMETRY_OFF = {
    "DO_NOT_TRACK": "1",
    "SCARF_NO_ANALYTICS": "true",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
}


def parse(monkeypatch, **env):
    """Parse the DAG folder with these variables set and the DAG's other settings unset."""
    for name in ("SUPERSTORE_DBT_SCHEDULE", "SUPERSTORE_PROJECT_DIR", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return DagBag(dag_folder=DAGS_FOLDER)


@pytest.fixture
def dag(monkeypatch):
    dagbag = parse(monkeypatch)
    assert dagbag.import_errors == {}
    return dagbag.dags[DAG_ID]


def test_dag_folder_imports_without_errors_and_holds_only_this_dag(monkeypatch):
    dagbag = parse(monkeypatch)
    assert dagbag.import_errors == {}
    assert dagbag.dag_ids == [DAG_ID]


def test_parsing_starts_no_process(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"a process was started while parsing: {args}")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    dagbag = parse(monkeypatch)
    assert dagbag.import_errors == {}
    assert DAG_ID in dagbag.dags


def test_has_the_freshness_check_one_task_per_layer_and_the_build_record(dag):
    assert sorted(dag.task_ids) == sorted(["source_freshness", *LAYERS, "record_build"])


def test_runs_freshness_then_staging_then_core_then_marts_then_records_the_build(dag):
    chain = ["source_freshness", *LAYERS, "record_build"]
    for before, after in zip(chain, chain[1:]):
        assert dag.get_task(before).downstream_task_ids == {after}
        assert dag.get_task(after).upstream_task_ids == {before}
    assert dag.get_task(chain[0]).upstream_task_ids == set()
    assert dag.get_task(chain[-1]).downstream_task_ids == set()


def test_every_task_retries_after_a_delay(dag):
    for task in dag.tasks:
        assert task.retries > 0, task.task_id
        assert task.retry_delay.total_seconds() > 0, task.task_id


def test_one_run_at_a_time_and_no_catchup(dag):
    assert dag.max_active_runs == 1
    assert dag.catchup is False


def test_start_date_is_fixed_and_timezone_aware(dag):
    assert dag.start_date is not None
    assert dag.start_date.utcoffset() is not None


def test_describes_itself(dag):
    assert dag.doc_md
    assert "superstore" in dag.tags


def test_freshness_task_runs_dbt_source_freshness_through_the_wrapper(dag):
    command = shlex.split(dag.get_task("source_freshness").bash_command)
    assert command == [str(PROJECT_DIR / "scripts" / "dbt.sh"), "source", "freshness"]


@pytest.mark.parametrize("layer", LAYERS)
def test_layer_task_builds_and_tests_its_folder_through_the_wrapper(dag, layer):
    command = shlex.split(dag.get_task(layer).bash_command)
    assert command == [str(PROJECT_DIR / "scripts" / "dbt.sh"), "build", "--select", layer]


def test_last_task_records_the_build_through_the_wrapper(dag):
    command = shlex.split(dag.get_task("record_build").bash_command)
    assert command == [str(PROJECT_DIR / "scripts" / "dbt.sh"), "run-operation", "record_warehouse_build"]


def test_project_dir_can_be_moved_for_the_docker_image(monkeypatch):
    dag = parse(monkeypatch, SUPERSTORE_PROJECT_DIR="/opt/superstore").dags[DAG_ID]
    for task in dag.tasks:
        assert shlex.split(task.bash_command)[0] == "/opt/superstore/scripts/dbt.sh"


def test_tasks_pass_the_connection_through_and_turn_telemetry_off(dag, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://warehouse.example/superstore")
    for task in dag.tasks:
        assert task.append_env is True, task.task_id
        assert "DATABASE_URL" not in task.env, "the connection must come from the environment"
        task_env = task.get_env({})
        assert task_env["DATABASE_URL"] == "postgres://warehouse.example/superstore"
        assert TELEMETRY_OFF.items() <= task_env.items()


def test_schedule_is_hourly_by_default(dag):
    assert dag.schedule == "@hourly"


@pytest.mark.parametrize("schedule", ["@daily", "*/15 * * * *"])
def test_schedule_follows_superstore_dbt_schedule(monkeypatch, schedule):
    dag = parse(monkeypatch, SUPERSTORE_DBT_SCHEDULE=schedule).dags[DAG_ID]
    assert dag.schedule == schedule


@pytest.mark.parametrize("schedule", ["none", "None", "", " "])
def test_schedule_none_or_empty_means_manual_runs_only(monkeypatch, schedule):
    dag = parse(monkeypatch, SUPERSTORE_DBT_SCHEDULE=schedule).dags[DAG_ID]
    assert dag.schedule is None
