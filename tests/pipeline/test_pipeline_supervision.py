"""The one supervision policy, against the real stack: an actor that fails
every time is restarted with backoff, and once it has failed more often than
the policy allows, `superstore run` stops with exit code 5 and a message
naming the actor and its last error, having staged nothing half-way."""

import subprocess

import psycopg

from support.superstore import ROOT, run_superstore, scalar, scratch_warehouse, superstore_binary


def test_a_writer_that_fails_every_commit_stops_the_pipeline_naming_it(endpoints, db, topic):
    # Every batch's audit row is refused, so every commit fails.
    damage = "alter table staging.ingest_batches add constraint every_batch_refused check (false) not valid"
    with scratch_warehouse(db, endpoints, "refusing", damage) as env:
        run_superstore("generate", "--count", "20", "--seed", "11", "--topic", topic)

        result = subprocess.run(
            [str(superstore_binary()), "run", "--until-idle", "--topic", topic, "--max-restarts", "2"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
        )
        assert result.returncode == 5, result.stderr
        assert "the writer failed 3 times within 60 s, or without a success for longer than that, and was stopped" in result.stderr, result.stderr
        assert "every_batch_refused" in result.stderr, "the last error is named"
        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as refusing:
            assert scalar(refusing, "select count(*) from staging.sales_events") == 0
            assert scalar(refusing, "select count(*) from staging.consumer_offsets") == 0
