//! The registry's HTTP contract, over real HTTP against a real PostgreSQL
//! (`DATABASE_URL`; the test command points it at the local stack).
//! Every test works in subjects of its own, so they run in parallel.

mod common;

use common::*;
use reqwest::blocking::Client;
use serde_json::{json, Value};

#[test]
fn registering_the_same_schema_twice_returns_the_same_id() {
    let s = subject("same");
    let first = register(&s, &schema_a());
    assert_eq!(first.status, 200);
    assert_eq!(first.content_type, CONTENT_TYPE);
    let second = register(&s, &schema_a());
    assert_eq!(second.body["id"], first.body["id"]);
    assert_eq!(
        get(&format!("/subjects/{s}/versions")).body,
        json!([1]),
        "no second version was made"
    );
}

#[test]
fn whitespace_does_not_make_a_new_schema() {
    let s = subject("spaces");
    let compact = register(&s, &schema_a());
    let pretty: Value = serde_json::from_str(&schema_a()).unwrap();
    let spaced = register(&s, &serde_json::to_string_pretty(&pretty).unwrap());
    assert_eq!(spaced.body["id"], compact.body["id"]);
}

#[test]
fn a_different_schema_becomes_version_2_and_latest() {
    let s = subject("evolve");
    let v1 = register(&s, &schema_a()).body["id"].as_i64().unwrap();
    let v2 = register(&s, &schema_b()).body["id"].as_i64().unwrap();
    assert_ne!(v1, v2);
    assert_eq!(get(&format!("/subjects/{s}/versions")).body, json!([1, 2]));

    let latest = get(&format!("/subjects/{s}/versions/latest"));
    assert_eq!(latest.status, 200);
    assert_eq!(latest.body["subject"], json!(s));
    assert_eq!(latest.body["version"], json!(2));
    assert_eq!(latest.body["id"], json!(v2));
    let stored: Value = serde_json::from_str(latest.body["schema"].as_str().unwrap()).unwrap();
    assert_eq!(stored, serde_json::from_str::<Value>(&schema_b()).unwrap());

    let first = get(&format!("/subjects/{s}/versions/1"));
    assert_eq!(first.body["id"], json!(v1));
    assert_eq!(
        get(&format!("/subjects/{s}/versions/-1")).body["version"],
        json!(2),
        "-1 means latest"
    );
}

#[test]
fn a_schema_is_fetched_by_id() {
    let s = subject("byid");
    let id = register(&s, &schema_b()).body["id"].as_i64().unwrap();
    let answer = get(&format!("/schemas/ids/{id}"));
    assert_eq!(answer.status, 200);
    assert_eq!(answer.content_type, CONTENT_TYPE);
    let schema: Value = serde_json::from_str(answer.body["schema"].as_str().unwrap()).unwrap();
    assert_eq!(schema["name"], json!("A"));
    let users = get(&format!("/schemas/ids/{id}/versions")).body;
    assert!(users.as_array().unwrap().contains(&json!({"subject": s, "version": 1})), "{users:?}");
}

#[test]
fn the_same_schema_under_two_subjects_shares_its_id() {
    let unique = record(
        "Shared",
        json!([
            {"name": "k", "type": "long"},
            {"name": "tag", "type": "string", "default": uuid::Uuid::new_v4().to_string()}
        ]),
    );
    let one = register(&subject("one"), &unique).body["id"].clone();
    let two = register(&subject("two"), &unique).body["id"].clone();
    assert_eq!(one, two);
}

#[test]
fn subjects_are_listed() {
    let s = subject("listed");
    register(&s, &schema_a());
    let subjects = get("/subjects").body;
    assert!(subjects.as_array().unwrap().contains(&json!(s)));
}

#[test]
fn lookup_finds_the_version_holding_a_schema() {
    let s = subject("lookup");
    register(&s, &schema_a());
    register(&s, &schema_b());
    let found = call(
        reqwest::Method::POST,
        &format!("/subjects/{s}"),
        Some(json!({ "schema": schema_b() })),
    );
    assert_eq!(found.status, 200);
    assert_eq!(found.body["version"], json!(2));

    let missing = record("Other", json!([{"name": "x", "type": "int"}]));
    let answer =
        call(reqwest::Method::POST, &format!("/subjects/{s}"), Some(json!({ "schema": missing })));
    assert_error(&answer, 404, 40403);
}

#[test]
fn an_unknown_subject_is_40401() {
    let s = subject("nobody");
    assert_error(&get(&format!("/subjects/{s}/versions")), 404, 40401);
    assert_error(&get(&format!("/subjects/{s}/versions/latest")), 404, 40401);
    let answer = call(
        reqwest::Method::POST,
        &format!("/subjects/{s}"),
        Some(json!({ "schema": schema_a() })),
    );
    assert_error(&answer, 404, 40401);
}

#[test]
fn an_unknown_version_is_40402() {
    let s = subject("versions");
    register(&s, &schema_a());
    assert_error(&get(&format!("/subjects/{s}/versions/7")), 404, 40402);
}

#[test]
fn an_invalid_version_is_42202() {
    let s = subject("badversion");
    register(&s, &schema_a());
    assert_error(&get(&format!("/subjects/{s}/versions/zero")), 422, 42202);
    assert_error(&get(&format!("/subjects/{s}/versions/0")), 422, 42202);
}

#[test]
fn an_unknown_id_is_40403() {
    assert_error(&get("/schemas/ids/2147483000"), 404, 40403);
}

#[test]
fn invalid_schemas_are_42201_and_store_nothing() {
    let s = subject("invalid");
    let not_avro = register(&s, r#"{"type": "record", "name": "NoFields"}"#);
    assert_error(&not_avro, 422, 42201);
    let not_json = register(&s, "{this is not json");
    assert_error(&not_json, 422, 42201);
    let bad_body = Client::new()
        .post(format!("{}/subjects/{s}/versions", registry()))
        .header("Content-Type", CONTENT_TYPE)
        .body("][")
        .send()
        .unwrap();
    assert_eq!(bad_body.status().as_u16(), 422);
    let unknown_type = call(
        reqwest::Method::POST,
        &format!("/subjects/{s}/versions"),
        Some(json!({"schema": "{}", "schemaType": "PROTOBUF"})),
    );
    assert_error(&unknown_type, 422, 42201);
    assert_error(&get(&format!("/subjects/{s}/versions")), 404, 40401);
}
