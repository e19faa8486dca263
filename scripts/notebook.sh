#!/usr/bin/env bash
# The analysis notebooks (notebooks/), against the warehouse: DATABASE_URL
# when set, else the local stack.
#   scripts/notebook.sh [eda|models|all]  executes each on a fresh kernel into
#                                         <SUPERSTORE_HOME>/reports/<notebook>.html
#                                         (images embedded) and .ipynb; exit 1 if a cell raised
#   scripts/notebook.sh lab               opens JupyterLab on the notebooks, on
#                                         127.0.0.1:${JUPYTER_PORT:-18888}; JupyterLab
#                                         lives in .venv-lab (installed on first use),
#                                         the notebooks' kernel is .venv's Python;
#                                         further arguments go to JupyterLab
# The notebooks are committed without outputs: the executed copies are artefacts.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
root="$(cd "$(dirname "$0")/.." && pwd)"
python="$root/.venv/bin/python"
[ -x "$python" ] || { echo "notebook.sh: .venv is missing: run ./scripts/setup.sh first" >&2; exit 1; }

DATABASE_URL=$(superstore_database_url)
[ -n "$DATABASE_URL" ] || die "the local stack gave no DATABASE_URL: start it with superstore up"
export DATABASE_URL
home="${SUPERSTORE_HOME:-$root/.superstore}"
export SUPERSTORE_REPORTS_DIR="${SUPERSTORE_REPORTS_DIR:-$home/reports}"

case "${1:-all}" in
  lab)
    lab="$root/.venv-lab"
    ensure_venv "$lab" "installing JupyterLab into .venv-lab (first use)" \
      "$root/notebooks/lab-requirements.txt" "$root/notebooks/lab-requirements.lock"
    # The notebooks name the kernel python3: here it is .venv's, with the analysis libraries.
    "$python" -m ipykernel install --prefix "$lab" --name python3 \
      --display-name "Python 3 (ipykernel)" >/dev/null
    exec "$lab/bin/jupyter-lab" --no-browser --ip 127.0.0.1 --port "${JUPYTER_PORT:-18888}" \
      --ServerApp.root_dir="$root/notebooks" "${@:2}"
    ;;
  eda | models) notebooks=("$1") ;;
  all) notebooks=(eda models) ;;
  *) echo "usage: scripts/notebook.sh [eda|models|all|lab]" >&2; exit 2 ;;
esac

mkdir -p "$SUPERSTORE_REPORTS_DIR"
for name in "${notebooks[@]}"; do
  "$python" "$root/scripts/run_notebook.py" "$root/notebooks/superstore_$name.ipynb" "$SUPERSTORE_REPORTS_DIR"
done
