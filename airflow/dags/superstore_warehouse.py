"""Builds the dbt warehouse from the PostgreSQL staging layer, and tests it.

The pipeline (`superstore run`) keeps `staging.sales_events` current; this DAG
turns it into the warehouse on a schedule. It checks that the sources are
fresh, then runs one `dbt build`: staging, core and marts in dependency
order, each model followed by its data tests, so a model that fails its tests
stops the models that read from it. The tests check the rows of the ingest
batches no build has tested yet, so a build costs what its new rows cost; the
DAG superstore_warehouse_full_tests checks the whole warehouse daily.
Last, it records the build in `warehouse.builds`, which `superstore run`
serves as `superstore_warehouse_last_build_timestamp_seconds`: an alert fires
when the schedule stalls.

One `dbt build`, not one task per layer: each dbt invocation pays dbt's own
start (Python, the adapter, the project's parse), several seconds, more than
an incremental build's model work; and a test that reads two layers (the
marts against the facts) runs only in an invocation that selects both. A
failed build is retried whole, which costs only what is left to do: the
models take only the batches they have not built, and the tests check every
batch not tested yet.

Configuration comes from the environment, read when the file is parsed:

- `DATABASE_URL`: the warehouse; passed through to `scripts/dbt.sh`, which
  falls back to the local stack when it is unset.
- `SUPERSTORE_DBT_SCHEDULE`: a cron expression or preset, `@hourly` by
  default; `none` or empty for manual runs only.
- `SUPERSTORE_PROJECT_DIR`: the repository root, when the DAG file is not in
  its checkout (the docker image).
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
    """The schedule named by SUPERSTORE_DBT_SCHEDULE; None (manual runs) for `none` or empty."""
    schedule = os.environ.get("SUPERSTORE_DBT_SCHEDULE", "@hourly").strip()
    return None if schedule.lower() in ("", "none") else schedule


default_args = {
    "retries": 2,
    "retry_delay": timedelta(minutes=2),
    # A hung build would otherwise hold the only active run and block every later one.
    "execution_timeout": timedelta(hours=1),
    # append_env keeps the worker's environment, DATABASE_URL included; these only add to it.
    "append_env": True,
    "env": {
        "DO_NOT_TRACK": "1",
        "SCARF_NO_ANALYTICS": "true",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    },
}

with DAG(
    dag_id="superstore_warehouse",
    description="dbt source freshness, build and test staging, core and marts, record the build",
    doc_md=__doc__,
    schedule=schedule_from_env(),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    # Runs build the same tables: two at once would race on them.
    max_active_runs=1,
    default_args=default_args,
    tags=["superstore", "dbt", "warehouse"],
) as dag:
    source_freshness = BashOperator(
        task_id="source_freshness",
        bash_command=f"{DBT} source freshness",
    )
    build = BashOperator(
        task_id="build",
        bash_command=f"{DBT} build",
    )

    # Only a build whose models all passed their tests is recorded.
    record_build = BashOperator(
        task_id="record_build",
        bash_command=f"{DBT} run-operation record_warehouse_build",
    )

    source_freshness >> build >> record_build
