"""Executes one notebook on a fresh kernel and writes the executed copy as
.ipynb and as HTML (images embedded as data URIs) into a reports folder.

Usage: run_notebook.py NOTEBOOK REPORTS_DIR. Exits 1, naming the cell, if a
cell raised; the HTML is written either way, with the traceback in it."""

import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert import HTMLExporter


def main(notebook_path: Path, reports: Path) -> int:
    notebook = nbformat.read(notebook_path, as_version=4)
    client = NotebookClient(notebook, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": str(notebook_path.parent)}})
    started = time.monotonic()
    failure = None
    try:
        client.execute()
    except CellExecutionError as error:
        failure = error
    elapsed = time.monotonic() - started
    executed = reports / notebook_path.name
    nbformat.write(notebook, executed)
    html, _ = HTMLExporter().from_notebook_node(notebook)
    report = executed.with_suffix(".html")
    report.write_text(html, encoding="utf-8")
    if failure is not None:
        plain = re.sub(r"\x1b\[[0-9;]*m", "", str(failure))
        print(f"{notebook_path.name}: a cell raised after {elapsed:.1f} s (see {report}):\n{plain[-3000:]}",
              file=sys.stderr)
        return 1
    print(f"{notebook_path.name}: executed in {elapsed:.1f} s -> {report}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: run_notebook.py NOTEBOOK REPORTS_DIR")
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
