//! Helpers of the registry tests: a registry served by the test process over
//! real HTTP, backed by the PostgreSQL that `DATABASE_URL` names.

#![allow(dead_code)]

use reqwest::blocking::Client;
use serde_json::{json, Value};
use std::net::TcpListener;
use std::sync::OnceLock;

pub const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// The base URL of a registry served by this test process.
pub fn registry() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let database_url = std::env::var("DATABASE_URL").expect(
            "DATABASE_URL must point at a PostgreSQL server: run the tests through scripts/test.sh",
        );
        superstore_database::migrate(&database_url).expect("migrations apply");
        let pool = superstore_database::pool(&database_url, 4).expect("PostgreSQL answers");
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                superstore_registry::serve(listener, pool, None).unwrap().await
            })
        });
        url
    })
}

pub fn subject(name: &str) -> String {
    format!("contract-{name}-{}", uuid::Uuid::new_v4())
}

pub fn record(name: &str, fields: Value) -> String {
    json!({"type": "record", "name": name, "namespace": "contract", "fields": fields}).to_string()
}

pub fn schema_a() -> String {
    record("A", json!([{"name": "id", "type": "string"}]))
}

pub fn schema_b() -> String {
    record(
        "A",
        json!([{"name": "id", "type": "string"}, {"name": "n", "type": "int", "default": 0}]),
    )
}

pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: Value,
}

pub fn call(method: reqwest::Method, path: &str, body: Option<Value>) -> Answer {
    let mut request = Client::new().request(method, format!("{}{path}", registry()));
    if let Some(body) = body {
        request = request.header("Content-Type", CONTENT_TYPE).body(body.to_string());
    }
    let response = request.send().expect("the registry answers");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = response.text().unwrap();
    Answer {
        status,
        content_type,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
    }
}

pub fn register(subject: &str, schema: &str) -> Answer {
    call(
        reqwest::Method::POST,
        &format!("/subjects/{subject}/versions"),
        Some(json!({ "schema": schema })),
    )
}

pub fn get(path: &str) -> Answer {
    call(reqwest::Method::GET, path, None)
}

pub fn put(path: &str, body: Value) -> Answer {
    call(reqwest::Method::PUT, path, Some(body))
}

pub fn post(path: &str, body: Value) -> Answer {
    call(reqwest::Method::POST, path, Some(body))
}

pub fn delete(path: &str) -> Answer {
    call(reqwest::Method::DELETE, path, None)
}

pub fn assert_error(answer: &Answer, status: u16, code: u64) {
    assert_eq!(answer.status, status, "{:?}", answer.body);
    assert_eq!(answer.body["error_code"], json!(code), "{:?}", answer.body);
    assert!(answer.body["message"].as_str().is_some_and(|m| !m.is_empty()), "{:?}", answer.body);
    assert_eq!(answer.content_type, CONTENT_TYPE);
}
