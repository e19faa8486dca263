//! The return event: its Avro mapping, its own rules, and the order
//! aggregate's rules across events, each refused with its reason.

use apache_avro::schema::{RecordSchema, Schema};
use chrono::{NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use std::collections::BTreeSet;
use std::str::FromStr;
use superstore_domain::{
    return_from_avro, return_schema_latest, return_to_datum, validate_return, Money, OrderLedger,
    Quantity, RejectReason, ReturnEvent, ReturnReason, LATEST_RETURN_SCHEMA_VERSION,
};
use uuid::Uuid;

/// A way to break a valid return, and the reason it must be refused with.
type Case = (fn(&mut ReturnEvent), RejectReason);

fn money(text: &str) -> Money {
    Money::try_new(Decimal::from_str(text).unwrap()).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn valid_return() -> ReturnEvent {
    ReturnEvent {
        event_id: Uuid::parse_str("1b4e28ba-2fa1-11d2-883f-0016d3cca427").unwrap(),
        event_time: Utc.with_ymd_and_hms(2025, 3, 20, 10, 0, 0).unwrap(),
        order_id: "US-2025-1000001".into(),
        product_id: "FUR-BO-10001798".into(),
        quantity: Quantity(2),
        refund: money("261.9600"),
        reason: ReturnReason::Damaged,
        return_date: date(2025, 3, 20),
    }
}

/// The order the return above returns from: 3 units for 392.94.
fn ledger() -> OrderLedger {
    let mut ledger = OrderLedger::default();
    ledger.record_sale(
        "FUR-BO-10001798",
        date(2025, 3, 14),
        3,
        Decimal::from_str("392.94").unwrap(),
    );
    ledger
}

#[test]
fn a_return_round_trips_through_its_schema() {
    let event = valid_return();
    let datum = return_to_datum(&event, LATEST_RETURN_SCHEMA_VERSION).unwrap();
    let schema = return_schema_latest();
    let value = apache_avro::from_avro_datum(schema, &mut datum.as_slice(), None).unwrap();
    assert_eq!(return_from_avro(value, schema).unwrap(), event);
}

#[test]
fn the_schema_and_the_domain_struct_have_the_same_fields() {
    let Schema::Record(RecordSchema { name, fields, .. }) = return_schema_latest() else {
        panic!("the return schema is a record")
    };
    assert_eq!(name.fullname(None), "superstore.sales.ReturnRecorded");
    let in_schema: BTreeSet<String> = fields.iter().map(|f| f.name.clone()).collect();
    let apache_avro::types::Value::Record(domain) =
        apache_avro::to_value(ReturnEvent::default()).unwrap()
    else {
        panic!("a return serializes to a record")
    };
    let in_domain: BTreeSet<String> = domain.into_iter().map(|(name, _)| name).collect();
    let forgotten_by_domain: Vec<_> = in_schema.difference(&in_domain).collect();
    assert!(forgotten_by_domain.is_empty(), "ReturnEvent forgot {forgotten_by_domain:?}");
    let forgotten_by_schema: Vec<_> = in_domain.difference(&in_schema).collect();
    assert!(forgotten_by_schema.is_empty(), "schemas/return forgot {forgotten_by_schema:?}");
}

#[test]
fn a_return_breaking_its_own_rules_is_refused_with_the_rule() {
    assert!(validate_return(valid_return()).is_ok());
    let cases: [Case; 5] = [
        (|e| e.order_id = " ".into(), RejectReason::MissingRequiredField),
        (|e| e.product_id.clear(), RejectReason::MissingRequiredField),
        (|e| e.quantity = Quantity(0), RejectReason::QuantityOutOfRange),
        (|e| e.refund = money("0"), RejectReason::NonPositiveRefund),
        (|e| e.return_date = date(2025, 3, 21), RejectReason::ReturnDateAfterEventTime),
    ];
    for (breaks, reason) in cases {
        let mut event = valid_return();
        breaks(&mut event);
        assert_eq!(validate_return(event).unwrap_err().reason, reason);
    }
}

#[test]
fn the_order_aggregate_refuses_each_broken_invariant_with_its_reason() {
    let ledger = ledger();
    assert_eq!(ledger.check_return(&valid_return()), Ok(()));
    let cases: [Case; 5] = [
        (|e| e.product_id = "OFF-PA-10000174".into(), RejectReason::ReturnWithoutSale),
        (|e| e.return_date = date(2025, 3, 13), RejectReason::ReturnBeforeOrder),
        (|e| e.quantity = Quantity(4), RejectReason::ReturnExceedsSold),
        (|e| e.refund = money("392.9401"), RejectReason::RefundExceedsSales),
        (|e| e.order_id = "US-2025-9".into(), RejectReason::ReturnWithoutSale),
    ];
    for (index, (breaks, reason)) in cases.into_iter().enumerate() {
        let mut event = valid_return();
        breaks(&mut event);
        // The last case: an order the aggregate holds nothing of.
        let judged = if index == 4 { OrderLedger::default() } else { ledger.clone() };
        assert_eq!(judged.check_return(&event).unwrap_err().reason, reason, "case {index}");
    }
}

#[test]
fn what_was_returned_counts_against_what_is_left() {
    let mut ledger = ledger();
    let first = validate_return(valid_return()).unwrap();
    ledger.accept_return(&first).unwrap();
    let mut second = valid_return();
    second.event_id = Uuid::from_u128(2);
    second.quantity = Quantity(1);
    second.refund = money("130.98");
    let second = validate_return(second).unwrap();
    ledger.accept_return(&second).expect("the last unit and the rest of the money");
    let mut third = valid_return();
    third.quantity = Quantity(1);
    third.refund = money("0.01");
    let refused = ledger.check_return(&third).unwrap_err();
    assert_eq!(refused.reason, RejectReason::ReturnExceedsSold);
    assert!(refused.detail.contains("0 of the 3 sold"), "{}", refused.detail);
}
