"""Returns, the log's second record type, through the pipeline: exact counts with
sales, every rule of the order aggregate refused with its reason, and a return
that arrives before its sale (held, then staged, or quarantined and replayed).
Returns are produced here by confluent-kafka's AvroSerializer with the
record-name strategy, as another team's producer would."""

import datetime
import random
import subprocess
import time
import uuid
from decimal import Decimal

from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient, topic_record_subject_name_strategy
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from support.superstore import ROOT, preview, run_superstore, run_until_idle, scalar, superstore_binary


def fresh_seed() -> int:
    return random.randrange(1, 2**40)


def produce_returns(endpoints: dict, topic: str, returns: list[dict]) -> None:
    serializer = AvroSerializer(
        SchemaRegistryClient({"url": endpoints["SCHEMA_REGISTRY_URL"]}),
        (ROOT / "schemas/return/v1.avsc").read_text(),
        conf={"subject.name.strategy": topic_record_subject_name_strategy},
    )
    producer = Producer({"bootstrap.servers": endpoints["KAFKA_BOOTSTRAP_SERVERS"]})
    for returned in returns:
        value = serializer(returned, SerializationContext(topic, MessageField.VALUE))
        producer.produce(topic, key=returned["order_id"].encode(), value=value)
    assert producer.flush(30) == 0


def return_of(sale: dict, quantity: int, refund: str, days_after: int = 3) -> dict:
    """A return of the sale line `sale` (a line of `generate --dry-run`)."""
    day = datetime.date.fromisoformat(sale["order_date"]) + datetime.timedelta(days=days_after)
    return {
        "event_id": str(uuid.uuid4()),
        "event_time": datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.timezone.utc),
        "order_id": sale["order_id"],
        "product_id": sale["product"]["product_id"],
        "quantity": quantity,
        "refund": Decimal(refund),
        "reason": "DAMAGED",
        "return_date": day,
    }


def return_before_its_sale(endpoints: dict, topic: str) -> tuple[int, dict]:
    """Publishes a return of the first line of a seed's sales, before them: the seed, and the return."""
    seed = fresh_seed()
    early = return_of(preview(5, seed)[0], 1, "0.01")
    produce_returns(endpoints, topic, [early])
    return seed, early


def staged_return_ids(db, topic: str) -> list[str]:
    return [str(r[0]) for r in db.execute("select event_id from staging.return_events where kafka_topic = %s", (topic,))]


def audit(db, topic: str) -> tuple:
    return db.execute(
        "select sum(n_in), sum(n_inserted), sum(n_rejected), sum(n_duplicate), sum(n_held) "
        "from staging.ingest_batches where topic = %s",
        (topic,),
    ).fetchone()


def test_sales_and_returns_land_with_exact_counts(db, topic):
    seed = fresh_seed()
    # Invalid returns are drawn per return (the sales' share is exact): at 0.3, a run of
    # some 170 returns breaks each return rule, in turn, for any seed (the odds of fewer
    # than seven invalid returns are below one in 10^12).
    ratios = ("--return-ratio", "0.1", "--invalid-ratio", "0.3")
    published = run_superstore("generate", "--count", "4000", "--seed", str(seed), "--topic", topic, *ratios).stdout
    expected = preview(4000, seed, *ratios)
    returns = [e for e in expected if e["record"] == "return"]
    valid_returns = {e["event_id"] for e in returns if e["provenance"] == "fresh"}
    broken = sorted(e["broken_rule"] for e in expected if e["provenance"] == "invalid")
    assert f"and {len(returns)} returns, {len(returns) - len(valid_returns)} of them invalid" in published

    summary = run_until_idle(topic)
    consumed = len(expected)
    accepted = consumed - len(broken)
    assert summary.startswith(f"idle: consumed {consumed}, accepted {accepted}, rejected {len(broken)}, duplicates 0"), summary
    staged = {str(r[0]) for r in db.execute("select event_id from staging.return_events where kafka_topic = %s", (topic,))}
    assert staged == valid_returns
    reasons = sorted(r[0] for r in db.execute("select reason from staging.rejected_events where topic = %s", (topic,)))
    assert reasons == broken, "each invalid sale and return is refused for the rule it breaks"
    assert {"return_exceeds_sold", "refund_exceeds_sales", "return_before_order", "non_positive_refund",
            "return_date_after_event_time"} <= set(reasons)
    assert audit(db, topic) == (consumed, accepted, len(broken), 0, 0)
    over_returned = scalar(
        db,
        "select count(*) from (select r.order_id, r.product_id, sum(r.quantity) as returned "
        "from staging.return_events r where r.kafka_topic = %s group by 1, 2) r "
        "join (select order_id, product_id, sum(quantity) as sold from staging.sales_events "
        "where kafka_topic = %s group by 1, 2) s using (order_id, product_id) where r.returned > s.sold",
        topic,
        topic,
    )
    assert over_returned == 0


def test_every_rule_of_the_order_aggregate_is_refused_with_its_reason(endpoints, db, topic):
    seed = fresh_seed()
    run_superstore("generate", "--count", "10", "--seed", str(seed), "--topic", topic)
    sales = preview(10, seed)
    sale = next(e for e in sales if e["quantity"] >= 2)
    # A line is an order's product: a product on two lines of the order counts as one.
    line = [e for e in sales if (e["order_id"], e["product"]["product_id"]) == (sale["order_id"], sale["product"]["product_id"])]
    sold, line_sales = sum(e["quantity"] for e in line), sum(Decimal(e["sales"]) for e in line)
    half = str((line_sales / 2).quantize(Decimal("0.0001")))
    first = return_of(sale, 1, half)
    cases = {
        "staged": first,
        "duplicate": dict(first),
        "return_exceeds_sold": return_of(sale, sold, "0.01"),
        "refund_exceeds_sales": return_of(sale, 1, str(line_sales - Decimal(half) + Decimal("0.01"))),
        "return_before_order": return_of(sale, 1, "0.01", days_after=-1),
        "return_without_sale": {**return_of(sale, 1, "0.01"), "product_id": "OFF-NO-00000000"},
        "unknown order": {**return_of(sale, 1, "0.01"), "order_id": f"US-0000-{uuid.uuid4().hex[:8]}"},
    }
    produce_returns(endpoints, topic, list(cases.values()))

    summary = run_until_idle(topic, "--return-hold-secs", "0")
    assert summary.startswith("idle: consumed 17, accepted 11, rejected 5, duplicates 1"), summary
    deserializer = AvroDeserializer(SchemaRegistryClient({"url": endpoints["SCHEMA_REGISTRY_URL"]}))
    case_of = {case["event_id"]: name for name, case in cases.items() if name != "duplicate"}
    refused = {}
    for raw_value, reason in db.execute("select raw_value, reason from staging.rejected_events where topic = %s", (topic,)):
        returned = deserializer(bytes(raw_value), SerializationContext(topic, MessageField.VALUE))
        refused[case_of[str(returned["event_id"])]] = reason
    assert refused == {
        "return_exceeds_sold": "return_exceeds_sold",
        "refund_exceeds_sales": "refund_exceeds_sales",
        "return_before_order": "return_before_order",
        "return_without_sale": "return_without_sale",
        "unknown order": "return_without_sale",
    }
    staged = db.execute("select event_id, refund from staging.return_events where kafka_topic = %s", (topic,)).fetchall()
    assert [(str(i), r) for i, r in staged] == [(first["event_id"], Decimal(half))]


def test_a_return_before_its_sale_is_held_then_staged_when_the_sale_comes(endpoints, db, topic):
    seed, early = return_before_its_sale(endpoints, topic)
    started = time.monotonic()
    run = subprocess.Popen(
        [superstore_binary(), "run", "--until-idle", "--topic", topic, "--return-hold-secs", "120", "--metrics-addr", "off"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while scalar(db, "select count(*) from staging.held_returns where topic = %s", topic) == 0:
            assert time.monotonic() < deadline and run.poll() is None, "the return was never held"
            time.sleep(0.2)
        assert audit(db, topic) == (1, 0, 0, 0, 1), "held: consumed, and accounted for as held"
        run_superstore("generate", "--count", "5", "--seed", str(seed), "--topic", topic)
        summary, _ = run.communicate(timeout=60)
    finally:
        run.kill()
    assert run.returncode == 0
    assert time.monotonic() - started < 60, "the run ended with the sale, not at the bound"
    assert summary.startswith("idle: consumed 6, accepted 6, rejected 0"), summary
    assert staged_return_ids(db, topic) == [early["event_id"]]
    assert scalar(db, "select count(*) from staging.held_returns where topic = %s", topic) == 0
    assert audit(db, topic) == (6, 6, 0, 0, 0)


def test_a_return_held_past_the_bound_is_quarantined_then_replayed_once_its_sale_is_in(endpoints, db, topic):
    seed, early = return_before_its_sale(endpoints, topic)
    started = time.monotonic()
    summary = run_until_idle(topic, "--return-hold-secs", "2")
    assert time.monotonic() - started >= 2, "--until-idle waits out the bound"
    assert summary.startswith("idle: consumed 1, accepted 0, rejected 1"), summary
    reason, detail = db.execute("select reason, detail from staging.rejected_events where topic = %s", (topic,)).fetchone()
    assert reason == "return_without_sale" and "for its sale (the bound is 2 s)" in detail, detail
    assert audit(db, topic) == (1, 0, 1, 0, 0)

    run_superstore("generate", "--count", "5", "--seed", str(seed), "--topic", topic)
    run_until_idle(topic)
    replayed = run_superstore("replay", "--from-dlq", "--topic", topic, "--reason", "return_without_sale").stdout
    assert replayed.startswith("replayed 1 of 1 dead letters"), replayed
    run_until_idle(topic)
    assert staged_return_ids(db, topic) == [early["event_id"]]


def test_the_returns_sheet_imports_each_returned_order_whole_and_again_changes_nothing(db, topic, tmp_path):
    seed = fresh_seed()
    run_superstore("generate", "--count", "60", "--seed", str(seed), "--topic", topic)
    run_until_idle(topic)
    sales = [e for e in preview(60, seed)]
    orders = list(dict.fromkeys(e["order_id"] for e in sales))
    returned, kept = orders[:3], orders[3]
    sheet = tmp_path / "Returns.csv"
    lines = ["Returned,Order ID,Region"] + [f"Yes,{o},West" for o in returned]
    lines += [f"No,{kept},East", "Yes,US-0000-UNKNOWN-1,West", f"Maybe,{orders[4]},West", f"Yes,{returned[0]},West"]
    sheet.write_text("\n".join(lines) + "\n")
    expected = {}
    for sale in sales:
        if sale["order_id"] in returned:
            key = (sale["order_id"], sale["product"]["product_id"])
            units, refund = expected.get(key, (0, Decimal(0)))
            expected[key] = (units + sale["quantity"], refund + Decimal(sale["sales"]))

    imported = run_superstore("import", "--returns", str(sheet), "--topic", topic, "--rejects-dir", str(tmp_path), check=False)
    assert imported.returncode != 0, "refused lines make the exit code say so"
    assert f"7 lines read, 3 returned orders, {len(expected)} returns published, 2 refused" in imported.stdout, imported.stdout
    assert "line 6: unknown_order: order US-0000-UNKNOWN-1 has no staged sale" in imported.stderr, imported.stderr
    assert "line 7: unknown_label" in imported.stderr, imported.stderr
    summary = run_until_idle(topic)
    assert f"consumed {len(expected)}, accepted {len(expected)}, rejected 0, duplicates 0" in summary, summary
    staged = {
        (order, product): (units, refund)
        for order, product, units, refund in db.execute(
            "select order_id, product_id, quantity, refund from staging.return_events where kafka_topic = %s", (topic,)
        )
    }
    assert staged == expected, "each product of a returned order, whole"

    run_superstore("import", "--returns", str(sheet), "--topic", topic, "--rejects-dir", str(tmp_path), check=False)
    summary = run_until_idle(topic)
    assert f"accepted 0, rejected 0, duplicates {len(expected)}" in summary, "importing again stages nothing new"
