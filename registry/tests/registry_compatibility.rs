//! Compatibility levels, configuration and deletes of the registry, over
//! real HTTP against a real PostgreSQL, with Confluent's verdicts and codes.

mod common;

use common::*;
use serde_json::{json, Value};

fn fields(list: &str) -> String {
    format!(r#"{{"type": "record", "name": "R", "namespace": "compat", "fields": [{list}]}}"#)
}

/// The classic changes, as (name, old schema, new schema, Confluent's BACKWARD verdict,
/// FORWARD verdict).
fn classic_changes() -> Vec<(&'static str, String, String, bool, bool)> {
    let base = r#"{"name": "id", "type": "string"}, {"name": "n", "type": "int"}"#;
    let color = |symbols: &str| {
        let enum_type = format!(r#"{{"type": "enum", "name": "Color", "symbols": [{symbols}]}}"#);
        format!(r#"{{"name": "color", "type": {enum_type}}}"#)
    };
    vec![
        (
            "add field with default",
            fields(base),
            fields(&format!(r#"{base}, {{"name": "x", "type": "string", "default": ""}}"#)),
            true,
            true,
        ),
        (
            "add field without default",
            fields(base),
            fields(&format!(r#"{base}, {{"name": "x", "type": "string"}}"#)),
            false,
            true,
        ),
        (
            "remove field with default",
            fields(&format!(r#"{base}, {{"name": "x", "type": "string", "default": ""}}"#)),
            fields(base),
            true,
            true,
        ),
        (
            "remove field without default",
            fields(&format!(r#"{base}, {{"name": "x", "type": "string"}}"#)),
            fields(base),
            true,
            false,
        ),
        (
            "widen int to long",
            fields(base),
            fields(r#"{"name": "id", "type": "string"}, {"name": "n", "type": "long"}"#),
            true,
            false,
        ),
        (
            "change string to int",
            fields(base),
            fields(r#"{"name": "id", "type": "int"}, {"name": "n", "type": "int"}"#),
            false,
            false,
        ),
        (
            "add enum symbol",
            fields(&color(r#""RED", "GREEN""#)),
            fields(&color(r#""RED", "GREEN", "BLUE""#)),
            true,
            false,
        ),
    ]
}

const LEVELS: [&str; 7] = [
    "NONE",
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
];

fn confluent_verdict(level: &str, backward: bool, forward: bool) -> bool {
    match level {
        "NONE" => true,
        "BACKWARD" | "BACKWARD_TRANSITIVE" => backward,
        "FORWARD" | "FORWARD_TRANSITIVE" => forward,
        _ => backward && forward,
    }
}

fn set_level(subject: &str, level: &str) {
    let answer = put(&format!("/config/{subject}"), json!({ "compatibility": level }));
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert_eq!(answer.body, json!({ "compatibility": level }));
}

fn test_compatibility(subject: &str, version: &str, schema: &str) -> Value {
    post(
        &format!("/compatibility/subjects/{subject}/versions/{version}?verbose=true"),
        json!({ "schema": schema }),
    )
    .body
}

#[test]
fn every_level_gives_confluents_verdict_on_every_classic_change() {
    for (change, old, new, backward, forward) in classic_changes() {
        for level in LEVELS {
            let s = subject("matrix");
            set_level(&s, level);
            assert_eq!(register(&s, &old).status, 200);
            let expected = confluent_verdict(level, backward, forward);

            let verdict = test_compatibility(&s, "latest", &new);
            assert_eq!(
                verdict["is_compatible"],
                json!(expected),
                "{level} on '{change}': {verdict}"
            );
            assert_eq!(
                verdict["messages"].as_array().unwrap().is_empty(),
                expected,
                "{level} on '{change}': {verdict}"
            );

            let registered = register(&s, &new);
            if expected {
                assert_eq!(registered.status, 200, "{level} on '{change}'");
                assert_eq!(get(&format!("/subjects/{s}/versions")).body, json!([1, 2]));
            } else {
                assert_error(&registered, 409, 409);
                assert_eq!(
                    get(&format!("/subjects/{s}/versions")).body,
                    json!([1]),
                    "nothing stored on 409"
                );
            }
        }
    }
}

#[test]
fn transitive_levels_check_the_whole_history_and_plain_ones_only_the_latest() {
    // v1 has `x` without a default, v2 gives it one, v3 drops it: v2 can read
    // v3's data, v1 cannot.
    let v1 = fields(r#"{"name": "id", "type": "string"}, {"name": "x", "type": "string"}"#);
    let v2 = fields(
        r#"{"name": "id", "type": "string"}, {"name": "x", "type": "string", "default": "?"}"#,
    );
    let v3 = fields(r#"{"name": "id", "type": "string"}"#);
    for (level, expected) in [
        ("FORWARD", true),
        ("FORWARD_TRANSITIVE", false),
        ("FULL", true),
        ("FULL_TRANSITIVE", false),
    ] {
        let s = subject("history");
        set_level(&s, "NONE");
        register(&s, &v1);
        register(&s, &v2);
        set_level(&s, level);
        let verdict = test_compatibility(&s, "latest", &v3);
        assert_eq!(verdict["is_compatible"], json!(expected), "{level}: {verdict}");
        if !expected {
            let messages = verdict["messages"].to_string();
            assert!(
                messages.contains("version 1") && messages.contains("'x'"),
                "{level}: {messages}"
            );
        }
        assert_eq!(register(&s, &v3).status, if expected { 200 } else { 409 }, "{level}");
    }
}

#[test]
fn an_incompatible_registration_is_409_with_the_reasons_and_stores_nothing() {
    let s = subject("refused");
    register(&s, &schema_a());
    let breaking = fields(r#"{"name": "id", "type": "int"}"#)
        .replace("\"R\"", "\"A\"")
        .replace("compat", "contract");
    let answer = register(&s, &breaking);
    assert_error(&answer, 409, 409);
    assert!(
        answer.body["message"]
            .as_str()
            .unwrap()
            .contains("field 'id' changed type from string to int"),
        "{:?}",
        answer.body
    );
    assert_eq!(get(&format!("/subjects/{s}/versions")).body, json!([1]));
    assert_error(&post(&format!("/subjects/{s}"), json!({ "schema": breaking })), 404, 40403);
}

#[test]
fn an_invalid_level_is_42203() {
    let s = subject("badlevel");
    assert_error(&put(&format!("/config/{s}"), json!({ "compatibility": "SIDEWAYS" })), 422, 42203);
    assert_error(&put("/config", json!({ "compatibility": "SIDEWAYS" })), 422, 42203);
    assert_error(&put("/config", json!({ "nonsense": true })), 422, 42203);
}

#[test]
fn subject_levels_fall_back_to_the_global_one_only_when_asked() {
    let global = get("/config");
    assert_eq!(global.status, 200);
    let global_level = global.body["compatibilityLevel"].as_str().unwrap().to_owned();
    assert!(LEVELS.contains(&global_level.as_str()));

    let s = subject("levels");
    register(&s, &schema_a());
    assert_error(&get(&format!("/config/{s}")), 404, 40408);
    assert_eq!(
        get(&format!("/config/{s}?defaultToGlobal=true")).body,
        json!({ "compatibilityLevel": global_level })
    );
    let lowercase = put(&format!("/config/{s}"), json!({ "compatibility": "full_transitive" }));
    assert_eq!(
        lowercase.body,
        json!({ "compatibility": "FULL_TRANSITIVE" }),
        "levels are read case-insensitively"
    );
    assert_eq!(
        get(&format!("/config/{s}")).body,
        json!({ "compatibilityLevel": "FULL_TRANSITIVE" })
    );
    assert_eq!(
        delete(&format!("/config/{s}")).body,
        json!({ "compatibilityLevel": "FULL_TRANSITIVE" })
    );
    assert_error(&get(&format!("/config/{s}")), 404, 40408);
}

#[test]
fn a_version_is_soft_deleted_then_permanently() {
    let s = subject("delversion");
    set_level(&s, "NONE");
    register(&s, &schema_a());
    register(&s, &schema_b());
    assert_error(&delete(&format!("/subjects/{s}/versions/1?permanent=true")), 404, 40407);
    assert_eq!(delete(&format!("/subjects/{s}/versions/1")).body, json!(1));
    assert_eq!(get(&format!("/subjects/{s}/versions")).body, json!([2]));
    assert_error(&get(&format!("/subjects/{s}/versions/1")), 404, 40402);
    assert_eq!(delete(&format!("/subjects/{s}/versions/1?permanent=true")).body, json!(1));
    assert_error(&delete(&format!("/subjects/{s}/versions/1?permanent=true")), 404, 40402);
    assert_eq!(register(&s, &schema_a()).status, 200);
    assert_eq!(
        get(&format!("/subjects/{s}/versions")).body,
        json!([2, 3]),
        "version numbers are never reused"
    );
}

#[test]
fn a_subject_is_soft_deleted_then_permanently() {
    let s = subject("delsubject");
    set_level(&s, "NONE");
    register(&s, &schema_a());
    register(&s, &schema_b());
    assert_error(&delete(&format!("/subjects/{s}?permanent=true")), 404, 40405);
    assert_eq!(delete(&format!("/subjects/{s}")).body, json!([1, 2]));
    assert_error(&get(&format!("/subjects/{s}/versions")), 404, 40401);
    assert!(!get("/subjects").body.as_array().unwrap().contains(&json!(s)));
    assert_error(&delete(&format!("/subjects/{s}")), 404, 40404);
    assert_eq!(delete(&format!("/subjects/{s}?permanent=true")).body, json!([1, 2]));
    assert_error(&delete(&format!("/subjects/{s}")), 404, 40401);
}

#[test]
fn the_sale_schemas_evolve_under_the_default_level() {
    let s = subject("sales");
    register(&s, include_str!("../../schemas/sale/v1.avsc"));
    assert_eq!(
        register(&s, include_str!("../../schemas/sale/v2.avsc")).status,
        200,
        "v2 adds fields with defaults"
    );
    let broken = include_str!("../../schemas/examples/sale_quantity_as_string.avsc");
    let answer = register(&s, broken);
    assert_error(&answer, 409, 409);
    assert!(answer.body["message"].as_str().unwrap().contains("'quantity'"));
}
