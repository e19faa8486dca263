"""Every field of a Kafka record is producer input, its metadata too. A
header key that is not UTF-8 (kcat sends one; so can any Go or C producer)
used to panic the source outside the per-record guard: it restarted, read
the same record, panicked again, and every run ended with exit 5. Now the
key is read as bytes, staged as `key_base64`, and sent back byte for byte to
the dead-letter topic and by replay; a Kafka timestamp PostgreSQL cannot
store quarantines its record as `unrepresentable_metadata`."""

import os
import subprocess
import tempfile

from confluent_kafka import Producer

from support.faults import Publisher, assert_conservation, create_topic, isolated_database, sale

BAD_KEY = b"\xff\xfeg"


def kcat_produce(bootstrap: str, topic: str, key: bytes, value: bytes, header: bytes) -> None:
    """One record, its value read whole from a file, with one raw header."""
    with tempfile.NamedTemporaryFile(suffix=".bin", delete=False) as value_file:
        value_file.write(value)
    try:
        subprocess.run([b"kcat", b"-P", b"-b", bootstrap.encode(), b"-t", topic.encode(), b"-k", key,
                        b"-H", header, value_file.name.encode()], check=True, timeout=30)
    finally:
        os.unlink(value_file.name)


def kcat_headers(bootstrap: str, topic: str) -> list[bytes]:
    """The headers of every record of `topic`, as kcat prints them (raw bytes)."""
    out = subprocess.run([b"kcat", b"-C", b"-b", bootstrap.encode(), b"-t", topic.encode(), b"-e", b"-q",
                          b"-f", b"%h\\n"], check=True, capture_output=True, timeout=30).stdout
    return out.splitlines()


def test_records_with_unreadable_metadata_are_staged_or_quarantined_never_a_crash_loop(endpoints, db, topic):
    bootstrap = endpoints["KAFKA_BOOTSTRAP_SERVERS"]
    create_topic(endpoints, topic, partitions=1)
    publisher = Publisher(endpoints, topic)
    valid = [sale(n) for n in range(4)]
    for event in valid[:3]:
        publisher.sale(event)
    publisher.flush()
    kcat_produce(bootstrap, topic, b"k-valid", publisher.serialize(valid[3]), BAD_KEY + b"=v")
    kcat_produce(bootstrap, topic, b"k-garbage", b"not avro", BAD_KEY + b"=w")
    ancient = Producer({"bootstrap.servers": bootstrap})
    ancient.produce(topic, key=b"k-ancient", value=publisher.serialize(sale(99)), timestamp=-300_000_000_000_000)
    assert ancient.flush(30) == 0
    with isolated_database(db, endpoints) as isolated:
        result = isolated.superstore("run", "--until-idle", "--topic", topic)
        assert result.returncode == 0, result.stderr[-3000:]
        assert result.stdout.startswith("idle: consumed 6, accepted 4, rejected 2"), result.stdout
        assert "rejected unrepresentable_metadata: 1" in result.stdout
        headers = isolated.scalar("select kafka_headers from staging.sales_events where event_id = %s",
                                  valid[3]["event_id"])
        assert headers == [{"key_base64": "//5n", "value": "dg=="}]
        detail = isolated.scalar("select detail from staging.rejected_events where reason = 'unrepresentable_metadata'")
        assert "-300000000000000 ms" in detail
        assert assert_conservation(isolated, topic, 6) == (6, 4, 2, 0)

        dead_letters = kcat_headers(bootstrap, f"{topic}.dlq")
        assert any(line.startswith(BAD_KEY + b"=w,") for line in dead_letters), dead_letters
        replay = isolated.superstore("replay", "--from-dlq", "--topic", topic, "--reason", "not_confluent_framed")
        assert replay.returncode == 0, replay.stderr
        replayed = kcat_headers(bootstrap, topic)[-1]
        assert replayed.startswith(BAD_KEY + b"=w,superstore.replay.of="), replayed
        again = isolated.superstore("run", "--until-idle", "--topic", topic)
        assert again.stdout.startswith("idle: consumed 1, accepted 0, rejected 1"), again.stdout
        requarantined = isolated.scalar(
            "select kafka_headers from staging.rejected_events order by rejected_id desc limit 1")
        assert requarantined[0] == {"key_base64": "//5n", "value": "dw=="}, requarantined
