"""Poison input: an event that is valid Avro, and a valid date for chrono, but
whose `order_date` lies within 30 days of the largest date chrono can hold
(262142-12-31). Adding the shipping window to it overflowed and panicked the
validator, after which nothing moved and SIGTERM looped the source. It must
cost one quarantined record, nothing more."""

import datetime as dt

from support.faults import Publisher, assert_conservation, create_topic, isolated_database, sale, staged_count


def epoch_days(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (Python's date stops at 9999)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def test_an_order_date_at_the_end_of_time_is_quarantined_and_the_events_after_it_land(endpoints, db, topic):
    poison_day = epoch_days(262142, 12, 31) - 10
    with isolated_database(db, endpoints) as isolated:
        create_topic(endpoints, topic, partitions=1)
        publisher = Publisher(endpoints, topic)
        before = [sale(n) for n in range(5)]
        after = [sale(n) for n in range(10, 30)]
        for event in before:
            publisher.sale(event)
        # fastavro writes a date given as an int as it is: days since the epoch.
        poison = sale(7, order_date=poison_day, ship_date=poison_day + 1)
        publisher.sale(poison)
        for event in after:
            publisher.sale(event)
        publisher.flush()

        result = isolated.superstore("run", "--until-idle", "--topic", topic, timeout=120)
        assert result.returncode == 0, result.stderr[-3000:]
        assert result.stdout.startswith("idle: consumed 26, accepted 25, rejected 1"), result.stdout

        reason, detail = isolated.rows(
            "select reason, detail from staging.rejected_events where topic = %s", topic
        )[0]
        assert reason == "order_date_out_of_range", (reason, detail)
        assert "order_date" in detail
        assert staged_count(isolated, topic) == 25, "every valid event, before and after the poison, is staged"
        assert assert_conservation(isolated, topic, consumed=26) == (26, 25, 1, 0)
