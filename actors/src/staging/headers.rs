//! How a Kafka record's headers are kept in staging (`kafka_headers`, a
//! jsonb column of `sales_events` and `rejected_events`): a JSON array, in
//! the record's order, of `{"key": text, "value": base64 of the bytes, or
//! null}`. Base64 because a header value is bytes, not text; the dead-letter
//! publisher reads them back from the quarantine, byte for byte.

use crate::pipeline::envelope::Header;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

/// The headers as staging keeps them.
pub fn headers_to_json(headers: &[Header]) -> Value {
    Value::Array(
        headers
            .iter()
            .map(|h| json!({"key": h.key, "value": h.value.as_ref().map(|v| STANDARD.encode(v))}))
            .collect(),
    )
}

/// The headers back from staging's JSON.
pub fn headers_from_json(value: &Value) -> Result<Vec<Header>, String> {
    let Value::Array(items) = value else { return Err(format!("{value} is not an array")) };
    items
        .iter()
        .map(|item| {
            let key = item["key"].as_str().ok_or_else(|| format!("{item} has no text key"))?;
            let value = match &item["value"] {
                Value::Null => None,
                Value::String(text) => {
                    Some(STANDARD.decode(text).map_err(|e| format!("{item}: {e}"))?)
                }
                other => return Err(format!("{other} is not base64 text or null")),
            };
            Ok(Header { key: key.to_owned(), value })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip_byte_for_byte_in_order() {
        let headers = vec![
            Header { key: "trace-id".into(), value: Some(b"abc".to_vec()) },
            Header { key: "binary".into(), value: Some(vec![0, 255, 10]) },
            Header { key: "empty".into(), value: None },
            Header { key: "trace-id".into(), value: Some(Vec::new()) },
        ];
        let json = headers_to_json(&headers);
        assert_eq!(json[0], json!({"key": "trace-id", "value": "YWJj"}));
        assert_eq!(json[2], json!({"key": "empty", "value": null}));
        assert_eq!(headers_from_json(&json).unwrap(), headers);
        assert!(headers_from_json(&json!({"key": "x"})).is_err());
    }
}
