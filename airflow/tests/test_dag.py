"""The superstore_warehouse DAGs (the build, and the full data tests), parsed
the way the scheduler parses them.

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
FULL_TESTS_DAG_ID = "superstore_warehouse_full_tests"
DBT = str(PROJECT_DIR / "scripts" / "dbt.sh")
TELEMETRY_OFF = {
    "DO_NOT_TRACK": "1",
    "SCARF_NO_ANALYTICS": "true",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
}


def parse(monkeypatch, **env):
    """Parse the DAG folder with these variables set and the DAG's other settings unset."""
    for name in (
        "SUPERSTORE_DBT_SCHEDULE", "SUPERSTORE_DBT_FULL_TESTS_SCHEDULE", "SUPERSTORE_PROJECT_DIR", "DATABASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return DagBag(dag_folder=DAGS_FOLDER)


@pytest.fixture
def dag(monkeypatch):
    dagbag = parse(monkeypatch)
    assert dagbag.import_errors == {}
    return dagbag.dags[DAG_ID]


@pytest.fixture
def full_tests_dag(monkeypatch):
    dagbag = parse(monkeypatch)
    assert dagbag.import_errors == {}
    return dagbag.dags[FULL_TESTS_DAG_ID]


def test_dag_folder_imports_without_errors_and_holds_the_build_and_the_full_tests(monkeypatch):
    dagbag = parse(monkeypatch)
    assert dagbag.import_errors == {}
    assert sorted(dagbag.dag_ids) == [DAG_ID, FULL_TESTS_DAG_ID]


def test_parsing_starts_no_process(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"a process was started while parsing: {args}")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    dagbag = parse(monkeypatch)
    assert dagbag.import_errors == {}
    assert DAG_ID in dagbag.dags


def test_has_the_freshness_check_one_build_and_the_build_record(dag):
    assert sorted(dag.task_ids) == sorted(["source_freshness", "build", "record_build"])


def test_runs_freshness_then_the_build_then_records_the_build(dag):
    chain = ["source_freshness", "build", "record_build"]
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


def test_build_task_builds_and_tests_every_layer_in_one_dbt_invocation(dag):
    assert shlex.split(dag.get_task("build").bash_command) == [DBT, "build"]


def test_last_task_records_the_build_through_the_wrapper(dag):
    command = shlex.split(dag.get_task("record_build").bash_command)
    assert command == [str(PROJECT_DIR / "scripts" / "dbt.sh"), "run-operation", "record_warehouse_build"]


def test_project_dir_can_be_moved_for_the_docker_image(monkeypatch):
    for dag in parse(monkeypatch, SUPERSTORE_PROJECT_DIR="/opt/superstore").dags.values():
        for task in dag.tasks:
            assert shlex.split(task.bash_command)[0] == "/opt/superstore/scripts/dbt.sh"


def test_tasks_pass_the_connection_through_and_turn_telemetry_off(dag, full_tests_dag, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://warehouse.example/superstore")
    for task in dag.tasks + full_tests_dag.tasks:
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


def test_full_tests_run_dbt_test_daily_one_run_at_a_time_with_retries(full_tests_dag):
    assert full_tests_dag.task_ids == ["full_tests"]
    task = full_tests_dag.get_task("full_tests")
    assert shlex.split(task.bash_command) == [DBT, "test"]
    assert full_tests_dag.schedule == "@daily"
    assert full_tests_dag.max_active_runs == 1 and full_tests_dag.catchup is False
    assert task.retries > 0 and task.retry_delay.total_seconds() > 0


def test_full_tests_keep_dbt_files_apart_from_the_build_and_telemetry_off(full_tests_dag, dag):
    task_env = full_tests_dag.get_task("full_tests").get_env({})
    assert TELEMETRY_OFF.items() <= task_env.items()
    assert task_env["DBT_TARGET_PATH"] != dag.get_task("build").get_env({}).get("DBT_TARGET_PATH", "target")


@pytest.mark.parametrize("schedule, expected", [("@weekly", "@weekly"), ("0 3 * * *", "0 3 * * *"), ("none", None)])
def test_full_tests_schedule_follows_its_own_variable(monkeypatch, schedule, expected):
    dags = parse(monkeypatch, SUPERSTORE_DBT_FULL_TESTS_SCHEDULE=schedule).dags
    assert dags[FULL_TESTS_DAG_ID].schedule == expected
    assert dags[DAG_ID].schedule == "@hourly", "the build keeps its own schedule"
