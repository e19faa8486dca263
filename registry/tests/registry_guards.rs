//! The registry's guards, over real HTTP against a real PostgreSQL: basic
//! authentication as Confluent's clients send it, and the size limit on
//! request bodies.

mod common;

use common::*;
use reqwest::blocking::{Body, Client};
use serde_json::{json, Value};
use std::sync::OnceLock;
use superstore_registry::{BasicAuth, RegistryClient, RegistryClientError, ServerSettings};

const USER_INFO: &str = "ingest:s3cret:with-colon";

/// A registry that requires `USER_INFO`.
fn guarded() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        registry_with(ServerSettings {
            basic_auth: Some(BasicAuth::from_user_info(USER_INFO).unwrap()),
            metrics_page: Some(std::sync::Arc::new(|| "superstore_metrics_page 1\n".to_owned())),
            ..ServerSettings::default()
        })
    })
}

fn subjects_with(credentials: Option<(&str, &str)>) -> reqwest::blocking::Response {
    let request = Client::new().get(format!("{}/subjects", guarded()));
    match credentials {
        Some((user, password)) => request.basic_auth(user, Some(password)),
        None => request,
    }
    .send()
    .expect("the registry answers")
}

fn assert_unauthorized(response: reqwest::blocking::Response) {
    assert_eq!(response.status().as_u16(), 401);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(challenge.starts_with("Basic realm="), "{challenge}");
    assert_eq!(response.headers()["content-type"], CONTENT_TYPE);
    let body: Value = response.json().unwrap();
    assert_eq!(body["error_code"], json!(401), "{body}");
    assert!(body["message"].as_str().unwrap().starts_with("Unauthorized"), "{body}");
}

#[test]
fn without_credentials_or_with_wrong_ones_the_answer_is_401() {
    assert_unauthorized(subjects_with(None));
    assert_unauthorized(subjects_with(Some(("ingest", "wrong"))));
    assert_unauthorized(subjects_with(Some(("other", "s3cret:with-colon"))));
    let post = Client::new()
        .post(format!("{}/subjects/anything/versions", guarded()))
        .body(json!({"schema": schema_a()}).to_string())
        .send()
        .unwrap();
    assert_unauthorized(post);
}

#[test]
fn metrics_are_served_without_credentials_and_nothing_else_is() {
    assert_unauthorized(subjects_with(None));
    let page = Client::new().get(format!("{}/metrics", guarded())).send().unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert_eq!(page.text().unwrap(), "superstore_metrics_page 1\n");
    // Anything else still needs them, whatever the route.
    let other = Client::new().get(format!("{}/metrics/more", guarded())).send().unwrap();
    assert_eq!(other.status().as_u16(), 401);
}

#[test]
fn with_the_right_credentials_the_answer_is_200() {
    let answer = subjects_with(Some(("ingest", "s3cret:with-colon")));
    assert_eq!(answer.status().as_u16(), 200);
}

#[test]
fn the_client_sends_credentials_as_confluents_clients_do() {
    let s = subject("auth");
    let with = RegistryClient::new(guarded())
        .with_basic_auth(Some(BasicAuth::from_user_info(USER_INFO).unwrap()));
    let without = RegistryClient::new(guarded());
    actix_web::rt::System::new().block_on(async {
        let id = with.register(&s, &schema_a()).await.expect("registered with credentials");
        assert_eq!(with.schema(id).await.unwrap().canonical_form(), {
            apache_avro::Schema::parse_str(&schema_a()).unwrap().canonical_form()
        });
        match without.subjects().await {
            Err(RegistryClientError::Api { status: 401, code: 401, .. }) => {}
            other => panic!("expected 401, got {other:?}"),
        }
    });
}

/// A valid schema whose JSON is about `size` bytes (a long doc).
fn schema_of_about(size: usize) -> String {
    record("Big", json!([{"name": "id", "type": "string", "doc": "x".repeat(size)}]))
}

fn post_body(url: &str, body: Body) -> (u16, Value) {
    let response = Client::new()
        .post(format!("{url}/subjects/{}/versions", subject("size")))
        .header("Content-Type", CONTENT_TYPE)
        .body(body)
        .send()
        .expect("the registry answers");
    (response.status().as_u16(), response.json().unwrap_or(Value::Null))
}

#[test]
fn a_body_over_the_limit_is_refused_with_413_and_an_error_body() {
    let url = registry_with(ServerSettings { max_body_bytes: 64 * 1024, ..Default::default() });
    let fits = json!({"schema": schema_of_about(60 * 1024)}).to_string();
    assert_eq!(post_body(&url, Body::from(fits)).0, 200, "a schema under the limit registers");

    let over = json!({"schema": schema_of_about(70 * 1024)}).to_string();
    let (status, body) = post_body(&url, Body::from(over.clone()));
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error_code"], json!(413), "{body}");
    assert!(body["message"].as_str().unwrap().contains("65536 bytes"), "{body}");

    // Without a Content-Length (chunked), the limit holds while reading.
    let chunked = Body::new(std::io::Cursor::new(over.into_bytes()));
    let (status, body) = post_body(&url, chunked);
    assert_eq!((status, body["error_code"].clone()), (413, json!(413)), "{body}");
}

#[test]
fn the_default_limit_is_one_mebibyte() {
    let just_under = json!({"schema": schema_of_about(1_000_000)}).to_string();
    assert_eq!(post_body(registry(), Body::from(just_under)).0, 200);
    let over = json!({"schema": schema_of_about(1_100_000)}).to_string();
    assert_eq!(post_body(registry(), Body::from(over)).0, 413);
}
