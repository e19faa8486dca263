"""The real "Sample - Superstore" dataset, as scripts/setup.sh fetches it
into data/superstore: the import tests read its CSV and Parquet copies,
and fail naming how to get them when they are missing."""

from pathlib import Path

import pytest

from support.superstore import ROOT

DATASET_DIR = ROOT / "data" / "superstore"


def dataset_file(name: str) -> Path:
    path = DATASET_DIR / name
    if not path.is_file():
        pytest.fail(
            f"{path} is missing: scripts/setup.sh fetches it (scripts/fetch-dataset.sh, "
            "which needs npm or HTTPS access to registry.npmjs.org)"
        )
    return path
