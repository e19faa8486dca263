"""The dbt warehouse on top of staging: it builds and tests, its docs
generate, its incremental models are idempotent, proven by comparing
incremental builds with a full refresh row for row, a build tests the
batches not tested yet while `dbt test` tests everything, and the one-time
upgrade of a core built before labels drops that core and nothing newer."""

import datetime as dt
import json
import os
import random
import subprocess

import psycopg

from support.superstore import ROOT, run_superstore, run_until_idle, scalar
from support.faults import isolated_database

CORE_AND_MARTS = [
    ("core", "dim_customer"),
    ("core", "dim_product"),
    ("core", "dim_location"),
    ("core", "dim_date"),
    ("core", "fct_sales"),
    ("core", "fct_returns"),
    ("marts", "daily_sales"),
    ("marts", "category_profit_pivot"),
    ("marts", "customer_summary"),
    ("marts", "return_rates"),
]
FULL_REFRESH_SUFFIX = "full_refresh"
UPGRADE_SUFFIX = "upgrade"


def dbt(*args: str, suffix: str = "", check: bool = True, url: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "DBT_SCHEMA_SUFFIX": suffix, **({"DATABASE_URL": url} if url else {})}
    completed = subprocess.run(
        [str(ROOT / "scripts" / "dbt.sh"), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )
    if check:
        assert completed.returncode == 0, f"dbt {' '.join(args)} failed:\n{completed.stdout[-4000:]}\n{completed.stderr[-2000:]}"
    return completed


def failed_tests() -> set[str]:
    """The data tests that failed in the last dbt command."""
    results = json.loads((ROOT / "dbt" / "target" / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".")[2] for r in results if r["status"] == "fail"}


def ingest(topic: str, count: int, start_date: str) -> None:
    """Sales from `start_date` on, and returns of a tenth of their orders."""
    seed = random.randrange(1, 2**40)
    dates = ("--start-date", start_date, "--return-ratio", "0.1")
    run_superstore("generate", "--count", str(count), "--seed", str(seed), "--topic", topic, *dates)
    run_until_idle(topic)


def stage_one_copy_in_open_batch(connection, topic: str) -> tuple[int, str]:
    """Opens a staging transaction the way the pipeline's are shaped: an audit
    row (its batch id drawn now) and one event whose ingested_at is the
    batch's committed_at. The event is the latest of its product and its
    location, with another category and region: the marts must then
    recompute every date of that product's and location's facts (type 1).
    Returns the batch id and the event id, uncommitted."""
    batch_id = connection.execute(
        """
        insert into staging.ingest_batches (group_id, topic, offset_ranges, n_in, n_inserted, n_rejected, n_duplicate)
        values ('late-writer', %s, '[]', 1, 1, 0, 0)
        returning batch_id
        """,
        (topic,),
    ).fetchone()[0]
    event_id = connection.execute(
        """
        insert into staging.sales_events
        select (md5(random()::text))::uuid, (select max(event_time) from staging.sales_events) + interval '1 day', order_id, order_date, ship_date, ship_mode, customer_id,
               customer_name, segment, country, state, city, postal_code,
               case region when 'WEST' then 'EAST' else 'WEST' end, product_id, product_name,
               case category when 'FURNITURE' then 'TECHNOLOGY' else 'FURNITURE' end, sub_category,
               sales, quantity, discount, profit, schema_id, kafka_topic, kafka_partition,
               kafka_offset, now(), payment_method, loyalty_id
        from staging.sales_events where kafka_topic = %s limit 1
        returning event_id
        """,
        (topic,),
    ).fetchone()[0]
    return batch_id, str(event_id)


def differences(db, schema: str, table: str) -> tuple[int, int]:
    """Rows in the incremental build missing from the full refresh, and the reverse."""
    full = f"{schema}_{FULL_REFRESH_SUFFIX}"
    # Identifiers of our own (listed above), never input.
    missing = scalar(db, f"select count(*) from (select * from {schema}.{table} except all select * from {full}.{table}) d")
    extra = scalar(db, f"select count(*) from (select * from {full}.{table} except all select * from {schema}.{table}) d")
    return missing, extra


def test_incremental_builds_equal_a_full_refresh_row_for_row(endpoints, db, topic):
    # 1-2. A batch, then an incremental build.
    ingest(topic, 4000, "2025-03-01")
    dbt("build")
    facts_before = scalar(db, "select count(*) from core.fct_sales")

    # 3. A late batch: its transaction draws its batch id now, then stays open
    # while more events, for earlier dates than any built so far, are staged
    # in batches with higher ids and built. It commits after that build.
    late = psycopg.connect(endpoints["DATABASE_URL"])
    late_batch, late_id = stage_one_copy_in_open_batch(late, topic)
    ingest(topic, 3000, "2024-05-01")
    dbt("build")
    assert scalar(db, "select max(batch_id) from staging.ingest_batches") > late_batch, "the late batch has a lower id"
    assert scalar(db, "select count(*) from core.fct_sales where event_id = %s", late_id) == 0, "not committed yet"
    late.commit()
    late.close()

    # 4. The next incremental build picks the late batch up, in core and marts.
    dbt("build")
    assert scalar(db, "select count(*) from core.fct_sales where event_id = %s", late_id) == 1, "the late commit was picked up"
    for model in ("fct_sales", "dim_customer", "daily_sales", "customer_summary"):
        built = scalar(db, "select count(*) from core.built_ingest_batches where model = %s and batch_id = %s", model, late_batch)
        assert built == 1, f"{model} lists the late batch as built"
    assert scalar(db, "select min(date_key) from core.dim_date") <= dt.date(2024, 5, 1), "dim_date grew backwards"
    changed_dates = scalar(
        db,
        "select count(*) from core.dimension_changes where dimension = 'dim_product' and batch_id = %s",
        late_batch,
    )
    assert changed_dates >= 1, "the product's new category noted the dates of its facts"

    # 5. A build with nothing new changes nothing.
    dbt("build")
    assert scalar(db, "select count(*) from core.fct_sales") == scalar(db, "select count(*) from staging.sales_events")
    assert scalar(db, "select count(*) from core.fct_sales") >= facts_before + 3001
    returns = scalar(db, "select count(*) from staging.return_events")
    assert returns > 0 and scalar(db, "select count(*) from core.fct_returns") == returns, "every staged return is a fact"

    # 6. A full refresh into schemas of its own (core_full_refresh, …).
    dbt("build", "--full-refresh", suffix=FULL_REFRESH_SUFFIX)

    # 7. Row for row, both ways.
    for schema, table in CORE_AND_MARTS:
        rows = scalar(db, f"select count(*) from {schema}.{table}")
        assert rows > 0, f"{schema}.{table} is empty"
        assert differences(db, schema, table) == (0, 0), f"{schema}.{table} differs from its full refresh"

    # The pivot has one profit column per category present, generated at build time,
    # named after the category's label in snake_case.
    columns = {
        r[0]
        for r in db.execute(
            "select column_name from information_schema.columns where table_schema = 'marts' and table_name = 'category_profit_pivot'"
        )
    }
    categories = {r[0] for r in db.execute("select distinct category from core.dim_product")}
    assert categories == {"Furniture", "Office Supplies", "Technology"}, "labels, not symbols"
    assert columns == {"order_date", "total_profit", "furniture_profit", "office_supplies_profit", "technology_profit"}


def test_facts_take_only_the_batches_every_dimension_has_built(endpoints, db, topic):
    # As in a build while the pipeline stages: the dimensions claim their
    # batches, one more commits, then the facts claim theirs.
    ingest(topic, 300, "2025-08-01")
    dbt("build", "--exclude-resource-type", "test",
        "--select", "+dim_customer", "+dim_product", "+dim_location", "+dim_date")
    ingest(topic, 300, "2025-09-01")
    dbt("run", "--select", "fct_sales")
    unbuilt = "select batch_id from staging.ingest_batches where topic = %s except" \
              " select batch_id from core.built_ingest_batches where model = %s"
    later = db.execute(unbuilt, (topic, "dim_customer")).fetchall()
    assert later, "a batch committed after the dimensions were built"
    assert db.execute(unbuilt, (topic, "fct_sales")).fetchall() == later, "the facts left it for later"
    orphans = scalar(db, "select count(*) from core.fct_sales facts where not exists"
                         " (select 1 from core.dim_customer d where d.customer_key = facts.customer_key)")
    assert orphans == 0, "every fact finds its customer"

    dbt("run", "--select", "core")
    assert db.execute(unbuilt, (topic, "fct_sales")).fetchall() == [], "the next build takes it"


def test_a_build_tests_its_untested_batches_and_dbt_test_the_whole_warehouse(endpoints, db, topic):
    # A database of its own: a bad row is staged. An old fact turns bad after
    # its build, then a new batch brings a bad fact of its own.
    with isolated_database(db, endpoints) as warehouse:
        for command in (("generate", "--count", "200", "--topic", topic), ("run", "--until-idle", "--topic", topic)):
            assert warehouse.superstore(*command).returncode == 0
        dbt("build", url=warehouse.url)
        made_bad = warehouse.rows("update core.fct_sales set quantity = -1"
                                  " where sale_key = (select min(sale_key) from core.fct_sales) returning sale_key")
        assert len(made_bad) == 1
        with psycopg.connect(warehouse.url) as late:  # commits at the end of the block
            _, bad_id = stage_one_copy_in_open_batch(late, topic)
            late.execute("update staging.sales_events set profit = sales + 1 where event_id = %s", (bad_id,))

        old_row, new_row = "non_negative_fct_sales_quantity", "expression_is_true_fct_sales_profit_amount_sales_amount"
        for attempt in ("build", "retry"):
            assert dbt("build", url=warehouse.url, check=False).returncode == 1, attempt
            assert failed_tests() == {new_row}, f"the {attempt} tests the untested batches only"
        assert dbt("test", url=warehouse.url, check=False).returncode == 1
        assert {old_row, new_row} <= failed_tests(), "dbt test checks the whole warehouse"


def test_the_upgrade_operation_drops_only_a_core_built_before_labels(endpoints, db, topic):
    # A copy of its own (core_upgrade, ...), built whole. The operation leaves a
    # current core alone; a core with two-decimal amounts, as an earlier
    # release built it, it drops with its marts, and the next build is whole.
    for layer in ("stg", "core", "marts"):
        db.execute(f"drop schema if exists {layer}_{UPGRADE_SUFFIX} cascade")
    ingest(topic, 200, "2025-10-01")
    dbt("build", "--exclude-resource-type", "test", suffix=UPGRADE_SUFFIX)
    tables = "select count(*) from information_schema.tables where table_schema = %s and table_name = %s"
    scale = "select numeric_scale from information_schema.columns" \
            f" where table_schema = 'core_{UPGRADE_SUFFIX}' and table_name = 'fct_sales' and column_name = 'sales_amount'"

    dbt("run-operation", "drop_core_built_before_labels", suffix=UPGRADE_SUFFIX)
    for schema, table in CORE_AND_MARTS:
        assert scalar(db, tables, f"{schema}_{UPGRADE_SUFFIX}", table) == 1, f"{table} of a current core is kept"

    db.execute(f"alter table core_{UPGRADE_SUFFIX}.fct_sales alter column sales_amount type numeric(12, 2)")
    dbt("run-operation", "drop_core_built_before_labels", suffix=UPGRADE_SUFFIX)
    for schema, table in CORE_AND_MARTS:
        assert scalar(db, tables, f"{schema}_{UPGRADE_SUFFIX}", table) == 0, f"{table} of an old core is dropped"

    dbt("build", "--exclude-resource-type", "test", suffix=UPGRADE_SUFFIX)
    assert scalar(db, scale) == 4, "rebuilt with four decimals"
    assert scalar(db, f"select count(*) from core_{UPGRADE_SUFFIX}.fct_sales") == \
        scalar(db, "select count(*) from staging.sales_events"), "rebuilt whole from staging"

    # A daily_sales built before returns (no net_sales) is dropped, and rebuilt with them.
    dbt("run-operation", "drop_marts_built_before_returns", suffix=UPGRADE_SUFFIX)
    assert scalar(db, tables, f"marts_{UPGRADE_SUFFIX}", "daily_sales") == 1, "a current daily_sales is kept"
    db.execute(f"alter table marts_{UPGRADE_SUFFIX}.daily_sales drop column net_sales")
    dbt("run-operation", "drop_marts_built_before_returns", suffix=UPGRADE_SUFFIX)
    assert scalar(db, tables, f"marts_{UPGRADE_SUFFIX}", "daily_sales") == 0, "an old daily_sales is dropped"
    dbt("build", "--exclude-resource-type", "test", suffix=UPGRADE_SUFFIX)
    assert scalar(db, f"select sum(sales) - sum(refunds) - sum(net_sales) from marts_{UPGRADE_SUFFIX}.daily_sales") == 0


def test_source_freshness_and_docs_generate(endpoints):
    freshness = dbt("source", "freshness")
    assert "PASS" in freshness.stdout
    dbt("docs", "generate")
    manifest = json.loads((ROOT / "dbt" / "target" / "manifest.json").read_text())
    catalog = json.loads((ROOT / "dbt" / "target" / "catalog.json").read_text())
    for _, table in CORE_AND_MARTS:
        node = manifest["nodes"][f"model.superstore.{table}"]
        assert node["description"], f"{table} is documented"
        assert node["columns"], f"{table} documents its columns"
    assert "source.superstore.staging.sales_events" in catalog["sources"]
