"""Fast rebalances while a batch is open. Each rebalance takes the run's
partitions away and gives them back; the source then resumes from the
offsets PostgreSQL holds, so it reads again records whose first copy still
waits in the open batch, and both copies reached the same commit. The
batch's audit row then broke the check `n_in = inserted + rejected +
duplicates`, every retry failed the same way, and the writer gave up
(exit 5). A batch now counts each record (partition and offset) once.

The rebalances are forced by a second member of the run's group that joins
(taking some partitions) and leaves at once, over and over, while events
stream in and batches stay open (a long linger)."""

import random
import threading
import time

from confluent_kafka import Consumer

from support.superstore import end_offsets, run_superstore
from support.faults import assert_conservation, isolated_database, stop, wait_for

EVENTS = 12_000
RATE = 1_000
INVALID_RATIO = 0.05
CYCLES = 6


def join_and_leave(bootstrap: str, topic: str, group: str, cycles: int, rebalances: list) -> None:
    """A member that joins `group`, waits for its partitions, and leaves: two rebalances a cycle."""
    for _ in range(cycles):
        assigned = []
        member = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": group,
                "enable.auto.commit": False,
                "partition.assignment.strategy": "range",
                "session.timeout.ms": 6000,
                "log_level": 3,
            }
        )
        member.subscribe([topic], on_assign=lambda _, partitions: assigned.extend(partitions))
        deadline = time.monotonic() + 20
        while not assigned and time.monotonic() < deadline:
            member.poll(0.1)
        member.close()  # leaves the group at once
        rebalances.append(len(assigned))
        time.sleep(0.5)


def test_fast_rebalances_with_an_open_batch_count_nothing_twice_and_finish(endpoints, db, topic):
    seed = random.randrange(1, 2**40)
    invalid = int(EVENTS * INVALID_RATIO)
    run_superstore("generate", "--count", "100", "--seed", str(seed), "--topic", topic, "--invalid-ratio", "0.05")
    total = EVENTS + 100
    with isolated_database(db, endpoints) as isolated:
        run = isolated.spawn("run", "--topic", topic, "--linger-ms", "2000", "--batch-size", "100000")
        rebalances: list = []
        member = threading.Thread(
            target=join_and_leave,
            args=(endpoints["KAFKA_BOOTSTRAP_SERVERS"], topic, "superstore-staging", CYCLES, rebalances),
        )
        try:
            generate = isolated.spawn(
                "generate", "--count", str(EVENTS), "--rate", str(RATE), "--seed", str(seed + 1),
                "--topic", topic, "--invalid-ratio", str(INVALID_RATIO),
            )
            member.start()
            _, generate_err = generate.communicate(timeout=120)
            assert generate.returncode == 0, generate_err[-3000:]
            member.join(timeout=180)
            assert len(rebalances) == CYCLES and all(rebalances), f"the member got partitions each time: {rebalances}"
            ends = end_offsets(endpoints["KAFKA_BOOTSTRAP_SERVERS"], topic)
            assert sum(ends.values()) == total

            def stored() -> dict:
                rows = isolated.rows(
                    "select partition, next_offset from staging.consumer_offsets "
                    "where group_id = 'superstore-staging' and topic = %s",
                    topic,
                )
                return dict(rows)

            # A batch retried for ever would never get here.
            reached = True
            try:
                wait_for(lambda: stored() == ends, 120, "the run to stage every record", 0.5)
            except AssertionError:
                reached = False
        finally:
            code, out, err = stop(run, timeout=60)
        assert reached, f"the run never staged every record:\n{err[-3000:]}"
        assert code == 0, err[-3000:]
        assignments = err.count("partitions assigned")
        # One per join at least: the member gets partitions only once the run has rejoined.
        assert assignments >= CYCLES, f"only {assignments} assignments: the rebalances did not happen"
        n_in, inserted, rejected, duplicates = assert_conservation(isolated, topic, total)
        assert (inserted, rejected, duplicates) == (total - invalid - 5, invalid + 5, 0)
        print(f"\n{assignments} assignments of the run during {CYCLES} join/leave cycles; n_in {n_in} = records {total}")
