"""Superset on the warehouse, proven as a person would see it.

scripts/superset.sh up (twice: it must be idempotent) installs Superset on
first use, imports the bundle of bi/superset/bundle and serves it; headless
Chromium logs in, opens the dashboard Superstore sales, waits until every
chart has rendered and saves a screenshot; Superset's chart-data API must
return rows for every chart, and the sales-over-time chart must add up to
the mart to the cent. Superset is stopped at the end.

Run after the warehouse is built (scripts/test.sh runs it after the DAG)."""

import json
import os
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
HOME = Path(os.environ.get("SUPERSTORE_HOME", ROOT / ".superstore"))
SUPERSET_HOME = HOME / "superset"
BASE_URL = f"http://127.0.0.1:{os.environ.get('SUPERSET_PORT', '18088')}"
BUNDLE = ROOT / "bi" / "superset" / "bundle"
DASHBOARD = "superstore-sales"
SCREENSHOT = HOME / "reports" / "superset-dashboard.png"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--window-size=1600,1800")
CENT = Decimal("0.01")


def superset_sh(*args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run([str(ROOT / "scripts" / "superset.sh"), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def up() -> float:
    started = time.monotonic()
    run = superset_sh("up")
    assert run.returncode == 0, f"superset.sh up failed:\n{run.stdout}\n{run.stderr[-4000:]}"
    return time.monotonic() - started


@pytest.fixture(scope="module")
def superset():
    """Superset up (twice), then down whatever the tests did."""
    browser = superset_sh("browser")
    assert browser.returncode == 0, browser.stderr
    first, second = up(), up()
    print(f"\nsuperset.sh up: {first:.1f} s the first time in this run, {second:.1f} s again")
    try:
        yield
    finally:
        down = superset_sh("down")
        assert down.returncode == 0, down.stderr
        assert superset_sh("status").returncode == 3, "Superset still answers after down"


def admin_password() -> str:
    return superset_sh("password").stdout.strip()


@pytest.fixture(scope="module")
def api(superset):
    """GET on Superset's REST API as the admin, with a JWT from its login endpoint."""
    login = json.dumps({"username": os.environ.get("SUPERSET_ADMIN_USER", "admin"), "password": admin_password(),
                        "provider": "db", "refresh": False}).encode()
    request = urllib.request.Request(f"{BASE_URL}/api/v1/security/login", data=login,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        token = json.loads(response.read())["access_token"]

    def get(path: str) -> dict:
        request = urllib.request.Request(f"{BASE_URL}{path}", headers={"Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return json.loads(response.read(), parse_float=Decimal)
        except urllib.error.HTTPError as error:
            raise AssertionError(f"GET {path}: {error.code} {error.read()[:1000]!r}") from error

    return get


@pytest.fixture(scope="module")
def dashboard_charts(api) -> dict:
    """The dashboard's charts by name: {slice_name: id}."""
    charts = api(f"/api/v1/dashboard/{DASHBOARD}/charts")["result"]
    return {chart["slice_name"]: chart["id"] for chart in charts}


def chart_rows(api, chart_id: int) -> list[dict]:
    [result] = api(f"/api/v1/chart/{chart_id}/data/")["result"]
    return result["data"]


@pytest.fixture(scope="module")
def browser(superset):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tempfile.mkdtemp(prefix='chromium-')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_rerunning_up_imports_over_the_assets_without_duplicates(api, dashboard_charts):
    bundled = len(list((BUNDLE / "charts").glob("*.yaml")))
    assert api("/api/v1/chart/?q=(page_size:100)")["count"] == bundled
    assert len(dashboard_charts) == bundled
    dashboards = api("/api/v1/dashboard/?q=(page_size:100)")["result"]
    assert [d["dashboard_title"] for d in dashboards] == ["Superstore sales"]
    assert api("/api/v1/dataset/?q=(page_size:100)")["count"] == len(list((BUNDLE / "datasets").rglob("*.yaml")))
    assert api("/api/v1/database/")["count"] == 1


def test_every_chart_returns_rows_through_the_chart_data_api(api, dashboard_charts):
    for name, chart_id in dashboard_charts.items():
        assert len(chart_rows(api, chart_id)) > 0, f"{name} returned no rows"


def test_sales_over_time_adds_up_to_the_mart_to_the_cent(api, dashboard_charts, db):
    months = chart_rows(api, dashboard_charts["Sales over time"])
    sales, profit = db.execute("select sum(sales), sum(profit) from marts.daily_sales").fetchone()
    # The marts keep four decimals (schema v3); Superset sends JSON numbers.
    # Summing the months unrounded, the dashboard must agree within half a cent.
    assert agrees_to_the_cent(sum(as_decimal(m["sales"]) for m in months), sales)
    assert agrees_to_the_cent(sum(as_decimal(m["profit"]) for m in months), profit)
    [total] = chart_rows(api, dashboard_charts["Total sales"])
    assert agrees_to_the_cent(as_decimal(total["sales"]), sales)


def test_return_rate_by_sub_category_is_returned_orders_over_orders_of_the_mart(api, dashboard_charts, db):
    shown = {
        (row["sub_category"], row["category"]): as_decimal(row["return_rate"])
        for row in chart_rows(api, dashboard_charts["Return rate by sub-category"])
    }
    mart = {
        (sub_category, category): Decimal(returned) / Decimal(orders)
        for sub_category, category, returned, orders in db.execute(
            "select sub_category, category, sum(returned_order_count), sum(order_count)"
            " from marts.return_rates group by 1, 2"
        )
    }
    assert shown.keys() == mart.keys()
    for key, rate in mart.items():
        assert abs(shown[key] - rate) < Decimal("1e-9"), (key, shown[key], rate)


def as_decimal(value) -> Decimal:
    """The number as Superset printed it, not the binary expansion of a float."""
    return Decimal(str(value))


def agrees_to_the_cent(shown: Decimal, mart: Decimal) -> bool:
    assert shown != 0 and mart != 0, (shown, mart)
    return abs(shown - mart) < CENT / 2


def wait_for_every_chart(driver, expected: int, timeout: float = 120) -> dict:
    """Polls the dashboard until `expected` charts are drawn, none loading and none in error."""
    state = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = driver.execute_script("""
            const charts = [...document.querySelectorAll('.chart-container')];
            return {
              charts: charts.length,
              loading: document.querySelectorAll('.loading').length,
              drawn: charts.filter(c => c.querySelector('canvas, svg, table, .header-line')).length,
              errors: [...document.querySelectorAll('.dashboard [role=alert], .ant-alert-error')]
                .map(e => e.innerText.slice(0, 300)),
            };""")
        if state["errors"] or (state["charts"] == state["drawn"] == expected and state["loading"] == 0):
            return state
        time.sleep(0.5)
    return state


def test_the_dashboard_renders_every_chart_in_chromium(browser, dashboard_charts, db):
    browser.get(f"{BASE_URL}/login/")
    field = lambda name: browser.find_element(By.CSS_SELECTOR, f'[data-test="{name}"]')  # noqa: E731
    WebDriverWait(browser, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-test="login-button"]'))
    field("username-input").send_keys(os.environ.get("SUPERSET_ADMIN_USER", "admin"))
    field("password-input").send_keys(admin_password())
    field("login-button").click()
    WebDriverWait(browser, 60).until(lambda d: "/login" not in d.current_url)

    browser.get(f"{BASE_URL}/superset/dashboard/{DASHBOARD}/")
    state = wait_for_every_chart(browser, len(dashboard_charts))
    assert state["errors"] == [], state
    assert state["charts"] == state["drawn"] == len(dashboard_charts) and state["loading"] == 0, state
    time.sleep(1)  # the charts' entry animations
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(SCREENSHOT))

    # What a person reads: the total shown to the cent, as the mart sums it.
    [shown] = browser.execute_script("return [...document.querySelectorAll('.header-line')].map(e => e.innerText)")
    total = db.execute("select sum(sales) from marts.daily_sales").fetchone()[0]
    assert shown.strip() == f"{total:,.2f}"

    image = Image.open(SCREENSHOT).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 24)
    most_common_share = max(count for count, _ in colours) / (image.width * image.height)
    assert image.width >= 1200 and image.height >= 1000
    assert len(colours) > 500 and most_common_share < 0.9, (len(colours), most_common_share)


def test_the_warehouse_role_reads_marts_and_core_only(superset, endpoints):
    role_password = (SUPERSET_HOME / "reader_password").read_text().strip()
    owner = psycopg.conninfo.conninfo_to_dict(endpoints["DATABASE_URL"])
    reader = psycopg.conninfo.make_conninfo(**{**owner, "user": "superstore_bi", "password": role_password})
    with psycopg.connect(reader, autocommit=True) as connection:
        assert connection.execute("select count(*) from marts.daily_sales").fetchone()[0] > 0
        assert connection.execute("select count(*) from core.fct_sales").fetchone()[0] > 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute("select count(*) from staging.sales_events")
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            connection.execute("create table marts.written_by_superset (id int)")


def test_secrets_are_files_of_mode_0600_and_stay_out_of_the_log(superset):
    log = (SUPERSET_HOME / "superset.log").read_text()
    for name in ("secret_key", "reader_password", "admin_password"):
        path = SUPERSET_HOME / name
        if name == "admin_password" and os.environ.get("SUPERSET_ADMIN_PASSWORD"):
            continue
        assert path.stat().st_mode & 0o777 == 0o600, name
        assert path.read_text().strip() not in log, f"{name} is in the log"
    assert admin_password() == (os.environ.get("SUPERSET_ADMIN_PASSWORD")
                                or (SUPERSET_HOME / "admin_password").read_text().strip())
