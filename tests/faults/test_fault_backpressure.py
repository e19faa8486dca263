"""Backpressure against a database slowed for longer than Kafka's
max.poll.interval.ms. The stages together held more than the source's
in-flight limit, so the source blocked handing a chunk on before it ever
paused, stopped polling, and was put out of its group. Now it pauses its
partitions before anything blocks and keeps polling: it stays in the group,
and nothing is lost or processed twice. In-flight data is bounded by bytes
as well as by count."""

import random
import re
import subprocess
import sys

from support.superstore import ROOT, end_offsets, run_superstore, superstore_binary
from support.faults import (
    SHARE_LOCK_ON_SALES,
    HeldLock,
    Publisher,
    assert_conservation,
    create_topic,
    isolated_database,
    staged_count,
)

COUNT = 30_000


def test_a_database_slower_than_the_poll_interval_keeps_the_consumer_in_its_group(endpoints, db, topic):
    run_superstore("generate", "--count", str(COUNT), "--seed", str(random.randrange(1, 2**40)), "--topic", topic)
    with isolated_database(db, endpoints) as isolated:
        holder = HeldLock(isolated, SHARE_LOCK_ON_SALES, 25)
        # The lock outlasts the poll interval (10 s, the least Kafka allows) by 15 s.
        result = isolated.superstore(
            "run", "--until-idle", "--topic", topic, "--batch-size", "1000", "--max-poll-interval-ms", "10000",
            timeout=240,
        )
        holder.join()
        assert result.returncode == 0, result.stderr[-3000:]
        assert "maximum poll interval" not in result.stderr, "the consumer kept polling"
        assignments = result.stderr.count("partitions assigned")
        assert assignments == 1, f"the consumer left and rejoined its group ({assignments} assignments)"
        assert result.stdout.startswith(f"idle: consumed {COUNT}, accepted {COUNT}, rejected 0"), result.stdout
        assert staged_count(isolated, topic) == COUNT
        assert assert_conservation(isolated, topic, COUNT) == (COUNT, COUNT, 0, 0)


def test_in_flight_data_is_bounded_by_bytes(endpoints, db, topic):
    run_superstore("generate", "--count", "5000", "--seed", str(random.randrange(1, 2**40)), "--topic", topic)
    with isolated_database(db, endpoints) as isolated:
        limit = 200_000  # about 600 events of ~330 bytes
        result = isolated.superstore("run", "--until-idle", "--topic", topic, "--max-in-flight-bytes", str(limit), "--batch-size", "5000")
        assert result.returncode == 0, result.stderr[-3000:]
        assert result.stdout.startswith("idle: consumed 5000, accepted 5000"), result.stdout
        peak = re.search(r"in flight at most: (\d+) records, (\d+) bytes", result.stdout)
        assert peak, result.stdout
        records, peak_bytes = int(peak.group(1)), int(peak.group(2))
        largest_record = 2_000  # a sale event with its key is a few hundred bytes
        assert 0 < peak_bytes <= limit + largest_record, f"{peak_bytes} bytes in flight, limit {limit}"
        assert records < 5000, "the source paused before it had read everything"
        assert assert_conservation(isolated, topic, 5000) == (5000, 5000, 0, 0)


# Runs a command and prints its peak resident set size in kB: a Python
# process of its own, so no other child of the tests counts.
PEAK_RSS = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:])
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, done.returncode)
"""


def test_one_megabyte_events_stay_within_the_byte_bound(endpoints, db, topic):
    """Records of about 1 MB (960 kB, under the 1 MB record limit of Kafka's
    and librdkafka's defaults): the bound in bytes holds where a bound in
    records alone would let 50,000 of them (48 GB) into memory. They are not
    Confluent-framed, so each is quarantined, raw value kept, nothing lost."""
    count, size, limit = 40, 960_000, 4_000_000
    publisher = Publisher(endpoints, topic)
    for i in range(count):
        publisher.raw(f"big-{i}".encode(), bytes([i % 250 + 1]) * size)
    publisher.flush()
    with isolated_database(db, endpoints) as isolated:
        command = [str(superstore_binary()), "run", "--until-idle", "--topic", topic,
                   "--max-in-flight-bytes", str(limit)]
        result = subprocess.run([sys.executable, "-c", PEAK_RSS, *command], cwd=ROOT,
                                env=isolated.env, capture_output=True, text=True, timeout=300)
        peak_kb, returncode = map(int, result.stdout.splitlines()[-1].split())
        assert returncode == 0, result.stderr[-3000:]
        assert f"idle: consumed {count}, accepted 0, rejected {count}" in result.stdout, result.stdout
        peak = re.search(r"in flight at most: (\d+) records, (\d+) bytes", result.stdout)
        records, peak_bytes = int(peak.group(1)), int(peak.group(2))
        assert 0 < peak_bytes <= limit + size + 2_000, f"{peak_bytes} bytes in flight, limit {limit}"
        assert records < count, "the source paused before it had read everything"
        assert peak_kb <= 256 * 1024, f"peak RSS {peak_kb} kB with {limit} bytes in flight"
        assert assert_conservation(isolated, topic, count) == (count, 0, count, 0)
        sizes = isolated.rows("select length(raw_value) from staging.rejected_events where topic = %s", topic)
        assert sorted(sizes) == [(size,)] * count


def peak_rss_of(isolated, *args: str) -> tuple[int, subprocess.CompletedProcess]:
    """Runs `superstore ARGS` and returns its peak resident set size in kB."""
    command = [str(superstore_binary()), *args]
    result = subprocess.run([sys.executable, "-c", PEAK_RSS, *command], cwd=ROOT, env=isolated.env,
                            capture_output=True, text=True, timeout=300)
    peak_kb, returncode = map(int, result.stdout.splitlines()[-1].split())
    return peak_kb, subprocess.CompletedProcess(command, returncode, result.stdout, result.stderr)


def test_a_backlog_of_one_megabyte_dead_letters_is_drained_and_replayed_in_bounded_memory(endpoints, db, topic):
    """200 quarantined records of 960 kB wait for the dead-letter topic (a
    backlog left by a run that could not reach it). The drain used to read
    500 rows at a time and replay to hold the whole topic: 190 MB of values,
    and as much again in the producer's queue."""
    count, size = 200, 960_000
    create_topic(endpoints, topic, partitions=1)
    with isolated_database(db, endpoints) as isolated:
        with isolated.connect() as conn:
            conn.execute(
                "insert into staging.rejected_events (group_id, topic, topic_id, kafka_partition, kafka_offset, "
                "message_key, raw_value, reason, detail, kafka_headers) "
                "select 'superstore-staging', %s, null, 0, n, ('big-' || n)::bytea, "
                "decode(repeat(lpad(to_hex(mod(n, 250) + 1), 2, '0'), %s), 'hex'), "
                "'not_confluent_framed', 'a backlog of large records', '[]'::jsonb "
                "from generate_series(0, %s - 1) as n",
                (topic, size, count),
            )
        peak_kb, drained = peak_rss_of(isolated, "run", "--until-idle", "--topic", topic,
                                       "--max-in-flight-bytes", "4000000")
        assert drained.returncode == 0, drained.stderr[-3000:]
        waiting = "select count(*) from staging.rejected_events where dlq_published_at is null"
        assert isolated.scalar(waiting) == 0, "the whole backlog reached the dead-letter topic"
        assert peak_kb <= 256 * 1024, f"peak RSS {peak_kb} kB draining {count} records of {size} bytes"

        peak_kb, replayed = peak_rss_of(isolated, "replay", "--from-dlq", "--topic", topic,
                                        "--max-in-flight-bytes", "4000000")
        assert replayed.returncode == 0, replayed.stderr[-3000:]
        assert f"replayed {count} of {count} dead letters" in replayed.stdout, replayed.stdout
        assert peak_kb <= 256 * 1024, f"peak RSS {peak_kb} kB replaying {count} records of {size} bytes"
        assert sum(end_offsets(endpoints["KAFKA_BOOTSTRAP_SERVERS"], topic).values()) == count
