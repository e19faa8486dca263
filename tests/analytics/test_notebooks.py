"""The analysis notebooks, executed by scripts/notebook.sh on a fresh kernel
against the built warehouse (the `db` fixture of tests/conftest.py): what an
analyst opens (the HTML reports) holds the figures, no cell raised, the
written conclusions quote the numbers the data gives, and the model scores
are written for scripts.

Run after the warehouse is built (scripts/test.sh runs it after the DAG)."""

import json
import math
import os
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ("superstore_eda", "superstore_models")
EMBEDDED_PNG = re.compile(r'<img[^>]+src="data:image/png;base64,[A-Za-z0-9+/=]{1000,}')


def reports_dir() -> Path:
    return Path(os.environ.get("SUPERSTORE_HOME", ROOT / ".superstore")) / "reports"


@pytest.fixture(scope="module")
def executed() -> dict:
    """Runs scripts/notebook.sh once; the executed notebooks by name."""
    for name in NOTEBOOKS:
        for suffix in (".html", ".ipynb"):
            (reports_dir() / f"{name}{suffix}").unlink(missing_ok=True)
    (reports_dir() / "model_scores.json").unlink(missing_ok=True)
    run = subprocess.run([str(ROOT / "scripts" / "notebook.sh"), "all"], cwd=ROOT, capture_output=True, text=True,
                         timeout=900)
    print(run.stdout)  # the runtimes, for the CI log
    assert run.returncode == 0, f"scripts/notebook.sh failed:\n{run.stdout}\n{run.stderr[-4000:]}"
    return {name: nbformat.read(reports_dir() / f"{name}.ipynb", as_version=4) for name in NOTEBOOKS}


def outputs(notebook, kind: str) -> list:
    return [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == kind]


def markdown_outputs(notebook) -> list[str]:
    return [o.data["text/markdown"] for o in outputs(notebook, "display_data") if "text/markdown" in o.data]


def cell_images(notebook, marker: str) -> list:
    """The PNGs output by the code cell whose source contains `marker`."""
    [cell] = [c for c in notebook.cells if c.cell_type == "code" and marker in c.source]
    return [o for o in cell.outputs if "image/png" in o.get("data", {})]


def test_the_committed_notebooks_carry_no_outputs():
    for name in NOTEBOOKS:
        notebook = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, f"{name}: {cell.source[:60]}"


def test_every_cell_ran_and_none_raised(executed):
    for name, notebook in executed.items():
        code_cells = [c for c in notebook.cells if c.cell_type == "code"]
        assert all(c.execution_count for c in code_cells), f"{name}: a cell did not run"
        assert outputs(notebook, "error") == [], f"{name}: a cell raised"
        html = (reports_dir() / f"{name}.html").read_text()
        assert "Traceback (most recent call last)" not in html, name


def test_the_eda_report_embeds_at_least_six_figures_each_with_its_conclusion(executed):
    html = (reports_dir() / "superstore_eda.html").read_text()
    assert len(EMBEDDED_PNG.findall(html)) >= 6
    conclusions = markdown_outputs(executed["superstore_eda"])
    assert len(conclusions) >= 6 and all(c.startswith("**Conclusion.**") for c in conclusions)
    assert all(re.search(r"\d", c) for c in conclusions), "every conclusion quotes a figure"


def test_the_eda_conclusions_name_what_the_warehouse_says(executed, db):
    conclusions = " ".join(markdown_outputs(executed["superstore_eda"]))
    lead_region, lead_sales = db.execute(
        "select region, sum(sales) from marts.daily_sales group by region order by 2 desc limit 1").fetchone()
    assert f"{lead_region} leads with {lead_sales:,.0f} USD" in conclusions
    best_category, best_profit = db.execute(
        "select category, sum(profit) from marts.daily_sales group by category order by 2 desc limit 1").fetchone()
    assert f"{best_category} earns the most ({best_profit:,.0f} USD" in conclusions
    rates = dict(db.execute(
        "select sub_category || ' (' || category || ')', sum(returned_order_count)::numeric / sum(order_count)"
        " from marts.return_rates group by category, sub_category").fetchall())
    named = next(filter(None, (
        re.match(r"\*\*Conclusion\.\*\* (.+ \(.+\)) is returned most, in ([\d.]+)% of its", c)
        for c in markdown_outputs(executed["superstore_eda"]))), None)
    if max(rates.values(), default=0) > 0:
        assert named, "the returns section names the sub-category returned most"
        assert abs(rates[named[1]] - max(rates.values())) < Decimal("1e-9"), named[1]
        assert abs(Decimal(named[2]) - 100 * rates[named[1]]) <= Decimal("0.005"), named[2]


def test_model_scores_hold_finite_figures_for_the_model_and_each_baseline(executed):
    scores = json.loads((reports_dir() / "model_scores.json").read_text())
    forecast, risk = scores["forecast"], scores["loss_risk"]
    for contender in ("model", "seasonal_naive", "moving_average_4"):
        for measure in ("mae", "mape"):
            value = forecast[contender][measure]
            assert isinstance(value, float) and math.isfinite(value) and value >= 0, (contender, measure)
    assert 1 <= forecast["holdout_weeks"] <= 12 and forecast["train_weeks"] >= 1
    for scorer in ("model", "rule_discount_ge_0_3"):
        assert 0.0 <= risk[scorer]["auc"] <= 1.0 and math.isfinite(risk[scorer]["auc"]), scorer
        assert 0.0 <= risk[scorer]["precision_at_top_decile"] <= 1.0, scorer
    best_baseline = min(forecast["seasonal_naive"]["mae"], forecast["moving_average_4"]["mae"])
    assert forecast["model_beats_baselines"]["mae"] == (forecast["model"]["mae"] < best_baseline)
    assert sum(map(sum, risk["confusion_matrix"])) == risk["test_lines"]
    assert set(risk["permutation_importance"]) == {
        "discount", "category", "sub_category", "region", "segment", "ship_mode", "quantity"}


def test_the_models_report_shows_the_holdout_and_the_confusion_matrix_and_quotes_the_scores(executed):
    notebook = executed["superstore_models"]
    assert cell_images(notebook, "holdout shaded"), "no holdout plot"
    assert cell_images(notebook, "ConfusionMatrixDisplay(confusion_matrix"), "no confusion matrix"
    html = (reports_dir() / "superstore_models.html").read_text()
    assert len(EMBEDDED_PNG.findall(html)) >= 2
    scores = json.loads((reports_dir() / "model_scores.json").read_text())
    conclusions = " ".join(markdown_outputs(notebook))
    assert f"MAE {scores['forecast']['model']['mae']:,.0f} USD" in conclusions
    assert f"ROC AUC ({scores['loss_risk']['model']['auc']:.3f} against" in conclusions
