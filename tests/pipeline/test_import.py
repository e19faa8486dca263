"""`superstore import` of the real "Sample - Superstore" dataset, end to end:
the file goes through Kafka and the pipeline into staging and the warehouse,
exactly. Every figure is computed here from the file itself with Python's
csv and Decimal, and compared to the last decimal. Importing again, from the
CSV or from the Parquet copy, changes nothing."""

import csv
import os
import subprocess
import uuid
from decimal import Decimal

from support.dataset import dataset_file
from support.superstore import ROOT, run_superstore, run_until_idle, scalar

# What the warehouse shows: the dataset's labels, never the Avro symbols.
WAREHOUSE_LABELS = [
    ("select distinct ship_mode from core.fct_sales", {"Standard Class", "Second Class", "First Class", "Same Day"}),
    ("select distinct segment from marts.customer_summary", {"Consumer", "Corporate", "Home Office"}),
    ("select distinct region from marts.daily_sales", {"Central", "East", "South", "West"}),
    ("select distinct category from marts.daily_sales", {"Furniture", "Office Supplies", "Technology"}),
]


def figures_from_the_file(path) -> dict:
    """What the file says, computed with csv and Decimal: the reference."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {
        "lines": len(rows),
        "sales": sum(Decimal(r["Sales"]) for r in rows),
        "profit": sum(Decimal(r["Profit"]) for r in rows),
        "quantity": sum(int(r["Quantity"]) for r in rows),
        "orders": len({r["Order ID"] for r in rows}),
        "customers": len({r["Customer ID"] for r in rows}),
    }


def dbt_build() -> None:
    completed = subprocess.run(
        [str(ROOT / "scripts" / "dbt.sh"), "build"],
        cwd=ROOT,
        env={**os.environ, "DBT_SCHEMA_SUFFIX": ""},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert completed.returncode == 0, f"dbt build failed:\n{completed.stdout[-4000:]}\n{completed.stderr[-2000:]}"


def mart_totals(db) -> dict:
    """The totals of the marts, zero before the warehouse was ever built."""
    built = scalar(db, "select to_regclass('marts.daily_sales') is not null and to_regclass('marts.customer_summary') is not null")
    if not built:
        return {"daily_sales": Decimal(0), "daily_profit": Decimal(0), "daily_units": 0, "lifetime_sales": Decimal(0)}
    daily = db.execute("select coalesce(sum(sales), 0), coalesce(sum(profit), 0), coalesce(sum(units), 0) from marts.daily_sales").fetchone()
    lifetime = scalar(db, "select coalesce(sum(lifetime_sales), 0) from marts.customer_summary")
    return {"daily_sales": daily[0], "daily_profit": daily[1], "daily_units": daily[2], "lifetime_sales": lifetime}


def staged(db, topic: str) -> dict:
    row = db.execute(
        """
        select count(*), sum(sales), sum(profit), sum(quantity), count(distinct order_id), count(distinct customer_id)
        from staging.sales_events where kafka_topic = %s
        """,
        (topic,),
    ).fetchone()
    return dict(zip(("lines", "sales", "profit", "quantity", "orders", "customers"), row))


def in_the_facts(db, topic: str) -> dict:
    """The import's rows in core.fct_sales, found by their event ids."""
    row = db.execute(
        """
        select count(*), sum(facts.sales_amount), sum(facts.profit_amount), sum(facts.quantity),
               count(distinct facts.order_id), count(distinct facts.customer_key)
        from core.fct_sales as facts
        where facts.event_id in (select event_id from staging.sales_events where kafka_topic = %s)
        """,
        (topic,),
    ).fetchone()
    return dict(zip(("lines", "sales", "profit", "quantity", "orders", "customers"), row))


def test_the_real_dataset_lands_exactly_and_importing_it_again_changes_nothing(endpoints, db, topic):
    csv_file, parquet_file = dataset_file("superstore.csv"), dataset_file("superstore.parquet")
    expected = figures_from_the_file(csv_file)
    assert expected["lines"] == 9994
    # A dataset name of the test's own: its event ids differ from the demo's import of the same file.
    dataset = f"superstore-test-{uuid.uuid4().hex[:8]}"
    has_staging = scalar(db, "select exists (select 1 from staging.sales_events)")
    if has_staging:
        dbt_build()
    before = mart_totals(db)

    out = run_superstore("import", str(csv_file), "--topic", topic, "--dataset", dataset).stdout
    assert "9994 lines read, 9994 published, 0 refused" in out, out
    assert "consumed 9994, accepted 9994, rejected 0, duplicates 0" in run_until_idle(topic)
    assert staged(db, topic) == expected, "staging holds the file, to the last decimal"

    dbt_build()
    assert in_the_facts(db, topic) == expected, "core.fct_sales holds the file, to the last decimal"
    after = mart_totals(db)
    assert after["daily_sales"] - before["daily_sales"] == expected["sales"]
    assert after["daily_profit"] - before["daily_profit"] == expected["profit"]
    assert after["daily_units"] - before["daily_units"] == expected["quantity"]
    assert after["lifetime_sales"] - before["lifetime_sales"] == expected["sales"]
    customers = scalar(
        db,
        "select count(*) from marts.customer_summary where customer_id in (select customer_id from staging.sales_events where kafka_topic = %s)",
        topic,
    )
    assert customers == expected["customers"]

    # The warehouse speaks the dataset's language.
    for query, labels in WAREHOUSE_LABELS:
        assert {r[0] for r in db.execute(query)} == labels, query
    bookcase = db.execute(
        "select category, sub_category from core.dim_product where product_id = 'FUR-BO-10001798'"
    ).fetchone()
    assert bookcase == ("Furniture", "Bookcases")

    # Again from the CSV, then from the Parquet copy: the same events, nothing new.
    for again in (csv_file, parquet_file):
        out = run_superstore("import", str(again), "--topic", topic, "--dataset", dataset).stdout
        assert "9994 lines read, 9994 published, 0 refused" in out, out
        assert "consumed 9994, accepted 0, rejected 0, duplicates 9994" in run_until_idle(topic)
        assert staged(db, topic) == expected
    dbt_build()
    assert in_the_facts(db, topic) == expected
    assert mart_totals(db) == after, "the marts did not change"


def test_the_csv_and_parquet_copies_map_to_the_same_events():
    csv_events = run_superstore("import", str(dataset_file("superstore.csv")), "--dry-run").stdout
    parquet_events = run_superstore("import", str(dataset_file("superstore.parquet")), "--dry-run").stdout
    assert len(csv_events.splitlines()) == 9994
    assert csv_events == parquet_events, "same ids, same fields, same decimals"
