"""The one supervision policy, against the real stack: an actor that fails
every time is restarted with backoff, and once it has failed more often than
the policy allows, `superstore run` stops with exit code 5 and a message
naming the actor and its last error, having staged nothing half-way."""

import os
import subprocess
import uuid

import psycopg

from conftest import ROOT, run_superstore, scalar, superstore_binary


def test_a_writer_that_fails_every_commit_stops_the_pipeline_naming_it(endpoints, db, topic):
    database = f"refusing_{uuid.uuid4().hex[:10]}"
    db.execute(f"create database {database}")  # a name of ours, not input
    try:
        url = endpoints["DATABASE_URL"].rsplit("/", 1)[0] + "/" + database
        env = {**os.environ, **endpoints, "DATABASE_URL": url}
        migrate = subprocess.run([str(superstore_binary()), "migrate"], cwd=ROOT, env=env, capture_output=True, text=True)
        assert migrate.returncode == 0, migrate.stderr
        with psycopg.connect(url, autocommit=True) as refusing:
            # Every batch's audit row is refused, so every commit fails.
            refusing.execute(
                "alter table staging.ingest_batches add constraint every_batch_refused check (false) not valid"
            )
        run_superstore("generate", "--count", "20", "--seed", "11", "--topic", topic)

        result = subprocess.run(
            [str(superstore_binary()), "run", "--until-idle", "--topic", topic, "--max-restarts", "2"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
        )
        assert result.returncode == 5, result.stderr
        assert "the writer failed 3 times within 60 s and was stopped" in result.stderr, result.stderr
        assert "every_batch_refused" in result.stderr, "the last error is named"
        with psycopg.connect(url, autocommit=True) as refusing:
            assert scalar(refusing, "select count(*) from staging.sales_events") == 0
            assert scalar(refusing, "select count(*) from staging.consumer_offsets") == 0
    finally:
        db.execute(f"drop database if exists {database} with (force)")
