//! Every domain rule, accepted at its edge and rejected just past it.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use std::str::FromStr;
use superstore_domain::{
    validate, Category, Customer, Discount, Location, Money, Product, Quantity, Region,
    RejectReason, SaleEvent, Segment, ShipMode,
};
use uuid::Uuid;

fn money(text: &str) -> Money {
    Money::try_new(Decimal::from_str(text).unwrap()).unwrap()
}

fn discount(text: &str) -> Discount {
    Discount::try_new(Decimal::from_str(text).unwrap()).unwrap()
}

fn valid_event() -> SaleEvent {
    SaleEvent {
        event_id: Uuid::parse_str("6a1f8f0e-2b8f-4c4e-9a59-2f0a3c1d9e01").unwrap(),
        event_time: Utc.with_ymd_and_hms(2025, 3, 14, 15, 9, 26).unwrap(),
        order_id: "US-2025-1000001".into(),
        order_date: NaiveDate::from_ymd_opt(2025, 3, 14).unwrap(),
        ship_date: NaiveDate::from_ymd_opt(2025, 3, 18).unwrap(),
        ship_mode: ShipMode::StandardClass,
        customer: Customer {
            customer_id: "CG-12520".into(),
            customer_name: "Claire Gute".into(),
            segment: Segment::Consumer,
        },
        location: Location {
            country: "United States".into(),
            state: "Kentucky".into(),
            city: "Louisville".into(),
            postal_code: "40214".into(),
            region: Region::South,
        },
        product: Product {
            product_id: "FUR-BO-10000100".into(),
            product_name: "Oakridge 5-Shelf Bookcase".into(),
            category: Category::Furniture,
            sub_category: "Bookcases".into(),
        },
        sales: money("261.96"),
        quantity: Quantity(2),
        discount: discount("0.00"),
        profit: money("41.91"),
        payment_method: superstore_domain::PaymentMethod::Card,
        loyalty_id: None,
    }
}

fn rejected_for(event: SaleEvent) -> RejectReason {
    validate(event).expect_err("the event should be rejected").reason
}

#[test]
fn a_well_formed_sale_is_accepted() {
    let sale = validate(valid_event()).expect("valid");
    assert_eq!(sale.order_id, "US-2025-1000001");
}

#[test]
fn empty_ids_and_names_are_rejected_naming_the_field() {
    let mut event = valid_event();
    event.customer.customer_name = "  ".into();
    let rejection = validate(event).unwrap_err();
    assert_eq!(rejection.reason, RejectReason::MissingRequiredField);
    assert!(rejection.detail.contains("customer.customer_name"), "{}", rejection.detail);

    for clear in [
        |e: &mut SaleEvent| e.order_id.clear(),
        |e: &mut SaleEvent| e.customer.customer_id.clear(),
        |e: &mut SaleEvent| e.product.product_id.clear(),
        |e: &mut SaleEvent| e.product.product_name.clear(),
        |e: &mut SaleEvent| e.location.city.clear(),
    ] {
        let mut event = valid_event();
        clear(&mut event);
        assert_eq!(rejected_for(event), RejectReason::MissingRequiredField);
    }
}

#[test]
fn quantity_must_be_between_1_and_1000() {
    for (quantity, accepted) in [(0, false), (1, true), (1000, true), (1001, false), (-3, false)] {
        let mut event = valid_event();
        event.quantity = Quantity(quantity);
        assert_eq!(validate(event).is_ok(), accepted, "quantity {quantity}");
    }
    let mut event = valid_event();
    event.quantity = Quantity(0);
    assert_eq!(rejected_for(event), RejectReason::QuantityOutOfRange);
}

#[test]
fn discount_must_be_between_0_and_0_80() {
    for (text, accepted) in [("0.00", true), ("0.80", true), ("0.81", false), ("-0.01", false)] {
        let mut event = valid_event();
        event.discount = discount(text);
        match validate(event) {
            Ok(_) => assert!(accepted, "discount {text} accepted"),
            Err(r) => {
                assert!(!accepted, "discount {text} rejected");
                assert_eq!(r.reason, RejectReason::DiscountOutOfRange);
            }
        }
    }
}

#[test]
fn sales_must_be_positive() {
    for text in ["0.00", "-5.00"] {
        let mut event = valid_event();
        event.sales = money(text);
        event.profit = money("-10.00");
        assert_eq!(rejected_for(event), RejectReason::NonPositiveSales, "sales {text}");
    }
    let mut event = valid_event();
    event.sales = money("0.01");
    event.profit = money("0.01");
    assert!(validate(event).is_ok(), "one cent of sales is a sale");
}

#[test]
fn profit_may_be_negative_but_not_above_sales() {
    let mut event = valid_event();
    event.profit = money("-383.03");
    assert!(validate(event).is_ok(), "a loss is a legitimate sale");

    let mut event = valid_event();
    event.profit = event.sales;
    assert!(validate(event).is_ok(), "profit equal to sales is allowed");

    let mut event = valid_event();
    event.profit = money("261.97");
    assert_eq!(rejected_for(event), RejectReason::ProfitExceedsSales);
}

#[test]
fn ship_date_falls_within_30_days_of_the_order() {
    let order_date = valid_event().order_date;
    for (offset, accepted) in [(-1, false), (0, true), (30, true), (31, false)] {
        let mut event = valid_event();
        event.ship_date = order_date + Duration::days(offset);
        match validate(event) {
            Ok(_) => assert!(accepted, "ship after {offset} days accepted"),
            Err(r) => {
                assert!(!accepted, "ship after {offset} days rejected");
                assert_eq!(r.reason, RejectReason::ShipDateOutOfWindow);
            }
        }
    }
}

#[test]
fn order_date_is_not_after_the_event_date_in_utc() {
    let mut event = valid_event();
    event.event_time = Utc.with_ymd_and_hms(2025, 3, 14, 0, 0, 0).unwrap();
    assert!(validate(event).is_ok(), "an order recorded on its own day at midnight UTC");

    let mut event = valid_event();
    event.event_time = Utc.with_ymd_and_hms(2025, 3, 13, 23, 59, 59).unwrap();
    let rejection = validate(event).unwrap_err();
    assert_eq!(rejection.reason, RejectReason::OrderDateAfterEventTime);
    assert!(rejection.detail.contains("UTC"));
}

#[test]
fn an_order_date_at_the_end_of_the_calendar_is_refused_not_a_panic() {
    for days_before_the_end in [0, 1, 10, 29] {
        let mut event = valid_event();
        event.order_date = NaiveDate::MAX - Duration::days(days_before_the_end);
        event.ship_date = event.order_date;
        let rejection = validate(event).expect_err("no shipping window can be computed");
        assert_eq!(rejection.reason, RejectReason::OrderDateOutOfRange);
        assert!(rejection.detail.contains("order_date"), "{}", rejection.detail);
    }
    let mut event = valid_event();
    event.order_date = NaiveDate::MAX - Duration::days(30);
    event.ship_date = event.order_date;
    assert_eq!(rejected_for(event), RejectReason::OrderDateAfterEventTime, "the window fits");
}

#[test]
fn unknown_enum_symbols_are_rejected_at_mapping() {
    use apache_avro::types::Value;
    let mut value = superstore_domain::sale_to_avro(&valid_event(), 1).unwrap();
    if let Value::Record(fields) = &mut value {
        let ship_mode = fields.iter_mut().find(|(name, _)| name == "ship_mode").unwrap();
        ship_mode.1 = Value::Enum(7, "TELEPORT".into());
    }
    let rejection: superstore_domain::Rejection =
        superstore_domain::sale_from_avro(value, superstore_domain::schema_v1())
            .unwrap_err()
            .into();
    assert_eq!(rejection.reason, RejectReason::UnknownEnumSymbol);
    assert!(rejection.detail.contains("TELEPORT"));
}

#[test]
fn reason_codes_are_stable_snake_case() {
    let codes: Vec<&str> = RejectReason::ALL.iter().map(|r| r.code()).collect();
    assert_eq!(
        codes,
        [
            "missing_required_field",
            "unknown_enum_symbol",
            "invalid_field_value",
            "quantity_out_of_range",
            "discount_out_of_range",
            "non_positive_sales",
            "profit_exceeds_sales",
            "ship_date_out_of_window",
            "order_date_after_event_time",
            "order_date_out_of_range",
            "non_positive_refund",
            "return_date_after_event_time",
            "return_without_sale",
            "return_exceeds_sold",
            "refund_exceeds_sales",
            "return_before_order",
        ]
    );
}
