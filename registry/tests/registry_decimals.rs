//! The registry's decimal rules over real HTTP: every change that would
//! lose or misread a decimal is refused with 409, naming the field, and
//! stores nothing; the widening of the sale schema (v2 → v3) registers under
//! the default level, BACKWARD, and is refused where an older reader would
//! read the new data. Stricter than Confluent on purpose (see
//! `registry/src/compatibility/decimals.rs`).

mod common;

use common::*;
use serde_json::json;

fn with_amount(precision: u32, scale: u32) -> String {
    let amount = json!({"type": "bytes", "logicalType": "decimal", "precision": precision,
                        "scale": scale});
    record("Priced", json!([{"name": "amount", "type": amount}]))
}

fn set_level(subject: &str, level: &str) {
    let answer = put(&format!("/config/{subject}"), json!({ "compatibility": level }));
    assert_eq!(answer.status, 200, "{:?}", answer.body);
}

/// Registers `old` then `new` under `level`; the 409's message.
fn refusal(level: &str, old: &str, new: &str) -> String {
    let s = subject("decimals");
    set_level(&s, level);
    assert_eq!(register(&s, old).status, 200);
    let answer = register(&s, new);
    assert_error(&answer, 409, 409);
    assert_eq!(get(&format!("/subjects/{s}/versions")).body, json!([1]), "nothing stored");
    answer.body["message"].as_str().unwrap().to_owned()
}

#[test]
fn a_narrower_scale_is_refused() {
    let message = refusal("BACKWARD", &with_amount(16, 4), &with_amount(16, 2));
    assert!(message.contains("field 'amount'") && message.contains("scale narrows"), "{message}");
}

#[test]
fn a_smaller_precision_is_refused() {
    let message = refusal("BACKWARD", &with_amount(12, 2), &with_amount(10, 2));
    assert!(message.contains("field 'amount'") && message.contains("precision shrinks"));
}

#[test]
fn fewer_digits_before_the_point_are_refused() {
    let message = refusal("BACKWARD", &with_amount(12, 2), &with_amount(13, 4));
    assert!(message.contains("field 'amount'") && message.contains("before the point"));
}

#[test]
fn a_scale_change_an_older_reader_would_not_rescale_is_refused() {
    let message = refusal("FORWARD", &with_amount(16, 4), &with_amount(14, 2));
    assert!(message.contains("field 'amount'") && message.contains("need not rescale"));
}

#[test]
fn the_sale_schema_widens_under_backward_and_not_under_forward_or_full() {
    let v1 = include_str!("../../schemas/sale/v1.avsc");
    let v2 = include_str!("../../schemas/sale/v2.avsc");
    let v3 = include_str!("../../schemas/sale/v3.avsc");
    let s = subject("sales-v3");
    assert_eq!(register(&s, v1).status, 200);
    assert_eq!(register(&s, v2).status, 200);
    let registered = register(&s, v3);
    assert_eq!(registered.status, 200, "BACKWARD accepts v3: {:?}", registered.body);
    assert_eq!(get(&format!("/subjects/{s}/versions")).body, json!([1, 2, 3]));

    for level in ["FORWARD", "FULL"] {
        let message = refusal(level, v2, v3);
        for field in ["'sales'", "'profit'", "'discount'"] {
            assert!(message.contains(field), "{level}: {field} in {message}");
        }
    }
}
