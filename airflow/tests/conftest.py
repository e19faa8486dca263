"""Points Airflow at a throwaway home before anything imports it.

Airflow reads AIRFLOW_HOME and its configuration once, when `airflow` is first
imported, so this has to run at conftest load, before the test modules are
collected. The tests parse DAG files only: they need no metadata database.
"""

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

if "airflow" in sys.modules:
    raise RuntimeError("airflow was imported before airflow/tests/conftest.py could configure it")

DAGS_FOLDER = Path(__file__).resolve().parents[1] / "dags"

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
