"""Sale schema v3 (four decimals) against the real stack: events written with
v2 (two decimals) and v3 on one topic all land with their exact amounts (an
older event is rescaled, 261.96 stays 261.9600, never 2.6196), and `run`
refuses a staging layer whose decimal columns are narrower than v3's."""

import random
import subprocess
import uuid
from decimal import Decimal

from support.superstore import ROOT, preview, run_superstore, run_until_idle, scratch_warehouse, superstore_binary


def test_v2_and_v3_events_on_one_topic_land_with_their_exact_amounts(endpoints, db, topic):
    batches = [(random.randrange(1, 2**40), "2"), (random.randrange(1, 2**40), "3")]
    for seed, version in batches:
        run_superstore("generate", "--count", "3000", "--seed", str(seed), "--topic", topic, "--schema-version", version)
    assert "accepted 6000, rejected 0" in run_until_idle(topic)
    staged = {
        str(event_id): (sales, profit, discount)
        for event_id, sales, profit, discount in db.execute(
            "select event_id, sales, profit, discount from staging.sales_events where kafka_topic = %s", (topic,)
        )
    }
    assert len(staged) == 6000
    for seed, version in batches:
        for event in preview(3000, seed, "--schema-version", version):
            wanted = tuple(Decimal(event[name]) for name in ("sales", "profit", "discount"))
            assert staged[event["event_id"]] == wanted, f"v{version} event {event['event_id']}"
    scales = {r[0] for r in db.execute("select scale(sales) from staging.sales_events where kafka_topic = %s", (topic,))}
    assert scales == {4}, "every amount is held at scale 4"


def test_run_refuses_a_staging_layer_with_fewer_decimals_than_the_reader_schema(endpoints, db):
    damage = "alter table staging.sales_events alter column profit type numeric(12,2)"
    with scratch_warehouse(db, endpoints, "narrow", damage) as env:
        result = subprocess.run(
            [str(superstore_binary()), "run", "--until-idle", "--topic", f"narrow.{uuid.uuid4().hex[:10]}"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )
    assert result.returncode == 4, result.stderr
    assert "profit (scale 2, the schema's 4)" in result.stderr and "superstore migrate" in result.stderr
