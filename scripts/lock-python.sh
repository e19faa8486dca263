#!/usr/bin/env bash
# Resolves requirements.txt into requirements.lock (every transitive
# dependency pinned), so that every machine installs the same Python tooling;
# and bi/superset/requirements.txt into its own lock (Superset's venv).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/uv ] || { python3 -m venv .venv && .venv/bin/python -m pip install --quiet uv==0.13.8; }
.venv/bin/uv pip compile --quiet --python-version 3.11 --output-file requirements.lock requirements.txt
.venv/bin/uv pip compile --quiet --python-version 3.11 --output-file bi/superset/requirements.lock \
  bi/superset/requirements.txt
