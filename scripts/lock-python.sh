#!/usr/bin/env bash
# Resolves requirements.txt into requirements.lock (every transitive
# dependency pinned), so that every machine installs the same Python tooling;
# and bi/superset/requirements.txt and notebooks/lab-requirements.txt into
# their own locks (the Superset and JupyterLab venvs).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
[ -x .venv/bin/uv ] || venv_with_uv .venv
.venv/bin/uv pip compile --quiet --python-version 3.11 --output-file requirements.lock requirements.txt
.venv/bin/uv pip compile --quiet --python-version 3.11 --output-file bi/superset/requirements.lock \
  bi/superset/requirements.txt
.venv/bin/uv pip compile --quiet --python-version 3.11 --output-file notebooks/lab-requirements.lock \
  notebooks/lab-requirements.txt
