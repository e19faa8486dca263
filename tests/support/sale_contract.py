"""A sale event as a Confluent deserializer decodes it, held to the contract
of schemas/sale/*.avsc: every logical type and enum symbol checked, then put
in the JSON shape of `generate --dry-run` to compare field by field."""

import datetime as dt
import uuid
from decimal import Decimal

SHIP_MODES = {"STANDARD_CLASS", "SECOND_CLASS", "FIRST_CLASS", "SAME_DAY"}
SEGMENTS = {"CONSUMER", "CORPORATE", "HOME_OFFICE"}
REGIONS = {"CENTRAL", "EAST", "SOUTH", "WEST"}
CATEGORIES = {"FURNITURE", "OFFICE_SUPPLIES", "TECHNOLOGY"}
PAYMENT_METHODS = {"CASH", "CARD", "MOBILE_WALLET", "GIFT_CARD", "UNKNOWN"}


def as_contract(decoded: dict, scale: int) -> dict:
    """A decoded event in the JSON shape of `generate --dry-run`, checking each type on the way:
    decimals carry the `scale` of the schema they were written with."""
    assert isinstance(decoded["event_id"], uuid.UUID)
    assert isinstance(decoded["event_time"], dt.datetime) and decoded["event_time"].utcoffset() == dt.timedelta(0)
    assert isinstance(decoded["order_date"], dt.date) and isinstance(decoded["ship_date"], dt.date)
    assert decoded["ship_mode"] in SHIP_MODES
    assert decoded["customer"]["segment"] in SEGMENTS
    assert decoded["location"]["region"] in REGIONS
    assert decoded["product"]["category"] in CATEGORIES
    for money in ("sales", "profit", "discount"):
        assert isinstance(decoded[money], Decimal), money
        assert decoded[money].as_tuple().exponent == -scale, f"{money} keeps {scale} decimals"
    assert isinstance(decoded["quantity"], int)
    assert decoded["payment_method"] in PAYMENT_METHODS
    assert decoded["loyalty_id"] is None or decoded["loyalty_id"].startswith("LOY-")
    return {
        **decoded,
        "event_id": str(decoded["event_id"]),
        "event_time": decoded["event_time"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        "order_date": decoded["order_date"].isoformat(),
        "ship_date": decoded["ship_date"].isoformat(),
        "sales": str(decoded["sales"]),
        "profit": str(decoded["profit"]),
        "discount": str(decoded["discount"]),
    }
