"""Runs every data test of the dbt warehouse on the whole warehouse.

The hourly build (DAG superstore_warehouse) tests only the rows of the ingest
batches no build has tested yet, so that its cost follows the new rows. This
DAG re-checks every row on a schedule of its own, daily by default: a fact
changed or lost after its build, a dimension overwritten badly, a mart that
drifted from the facts. It runs `dbt test`, which always checks the whole
warehouse (dbt/macros/tests_on_new_batches.sql).

It may run while a build does, without a pool or a sensor between them, and
give no false failure:
- each data test is one SQL statement, so it reads one snapshot, and each
  model's rows and the batches it lists as built commit in one transaction;
- every test that compares two tables compares them over the batches both
  have built (facts against staging over fct_sales' batches, each mart
  against the facts of its own batches), so a build halfway through its
  models is consistent, and the pipeline staging meanwhile is not counted;
- `dbt test` writes nothing to the warehouse, and here keeps its files in a
  target directory of its own (`DBT_TARGET_PATH`), so it does not race the
  build for dbt's manifest, compiled SQL and partial-parse state.
A pool shared with the build would have to be created by each installation,
and would delay the hourly build by the length of the full run.
`max_active_runs=1`: a full run longer than its period never overlaps itself.

Configuration comes from the environment, read when the file is parsed:

- `DATABASE_URL`: the warehouse, as for the build DAG.
- `SUPERSTORE_DBT_FULL_TESTS_SCHEDULE`: a cron expression or preset,
  `@daily` by default; `none` or empty for manual runs only.
- `SUPERSTORE_PROJECT_DIR`: the repository root, as for the build DAG.
"""

from __future__ import annotations

import os
import shlex
from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

PROJECT_DIR = Path(os.environ.get("SUPERSTORE_PROJECT_DIR") or Path(__file__).resolve().parents[2])
DBT = shlex.quote(str(PROJECT_DIR / "scripts" / "dbt.sh"))


def schedule_from_env() -> str | None:
    """The schedule named by SUPERSTORE_DBT_FULL_TESTS_SCHEDULE; None for `none` or empty."""
    schedule = os.environ.get("SUPERSTORE_DBT_FULL_TESTS_SCHEDULE", "@daily").strip()
    return None if schedule.lower() in ("", "none") else schedule


default_args = {
    # A retry is for a lost connection; a failed data test fails again.
    "retries": 1,
    "retry_delay": timedelta(minutes=5),
    "execution_timeout": timedelta(hours=3),
    # append_env keeps the worker's environment, DATABASE_URL included; these only add to it.
    "append_env": True,
    "env": {
        "DO_NOT_TRACK": "1",
        "SCARF_NO_ANALYTICS": "true",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        # Relative to dbt/: apart from the build's dbt/target.
        "DBT_TARGET_PATH": "target/full-tests",
    },
}

with DAG(
    dag_id="superstore_warehouse_full_tests",
    description="dbt test: every data test on the whole warehouse",
    doc_md=__doc__,
    schedule=schedule_from_env(),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    tags=["superstore", "dbt", "warehouse"],
) as dag:
    full_tests = BashOperator(
        task_id="full_tests",
        bash_command=f"{DBT} test",
    )
