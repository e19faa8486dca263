//! How a Kafka record's headers are kept in staging (`kafka_headers`, a
//! jsonb column of `sales_events` and `rejected_events`): a JSON array, in
//! the record's order, of `{"key": text, "value": base64 of the bytes, or
//! null}`. Base64 because a header value is bytes, not text; the dead-letter
//! publisher reads them back from the quarantine, byte for byte.
//!
//! A key is bytes too, and producer input: one that jsonb cannot hold as
//! text (not UTF-8, or holding a NUL) is kept as `"key_base64"` instead of
//! `"key"`, so the record is staged (or quarantined) with its headers
//! escaped, never refused for them.

use crate::flow::envelope::Header;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Map, Value};

/// The headers as staging keeps them.
pub fn headers_to_json(headers: &[Header]) -> Value {
    Value::Array(headers.iter().map(header_to_json).collect())
}

fn header_to_json(header: &Header) -> Value {
    let mut item = Map::new();
    match std::str::from_utf8(&header.key) {
        Ok(text) if !text.contains('\0') => item.insert("key".into(), json!(text)),
        _ => item.insert("key_base64".into(), json!(STANDARD.encode(&header.key))),
    };
    item.insert("value".into(), json!(header.value.as_ref().map(|v| STANDARD.encode(v))));
    Value::Object(item)
}

/// The headers back from staging's JSON.
pub fn headers_from_json(value: &Value) -> Result<Vec<Header>, String> {
    let Value::Array(items) = value else { return Err(format!("{value} is not an array")) };
    items.iter().map(header_from_json).collect()
}

fn header_from_json(item: &Value) -> Result<Header, String> {
    let base64 = |text: &str| STANDARD.decode(text).map_err(|e| format!("{item}: {e}"));
    let key = match (&item["key"], &item["key_base64"]) {
        (Value::String(text), Value::Null) => text.as_bytes().to_vec(),
        (Value::Null, Value::String(encoded)) => base64(encoded)?,
        _ => return Err(format!("{item} has neither a text key nor a base64 one")),
    };
    let value = match &item["value"] {
        Value::Null => None,
        Value::String(text) => Some(base64(text)?),
        other => return Err(format!("{other} is not base64 text or null")),
    };
    Ok(Header { key, value })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(key: &[u8], value: Option<&[u8]>) -> Header {
        Header { key: key.to_vec(), value: value.map(<[u8]>::to_vec) }
    }

    #[test]
    fn headers_round_trip_byte_for_byte_in_order() {
        let headers = vec![
            header(b"trace-id", Some(b"abc")),
            header(b"binary", Some(&[0, 255, 10])),
            header(b"empty", None),
            header(b"trace-id", Some(b"")),
        ];
        let json = headers_to_json(&headers);
        assert_eq!(json[0], json!({"key": "trace-id", "value": "YWJj"}));
        assert_eq!(json[2], json!({"key": "empty", "value": null}));
        assert_eq!(headers_from_json(&json).unwrap(), headers);
        assert!(headers_from_json(&json!({"key": "x"})).is_err());
    }

    #[test]
    fn keys_jsonb_cannot_hold_as_text_are_kept_in_base64() {
        let headers = vec![header(&[0xff, b'k'], Some(b"v")), header(b"a\0b", None)];
        let json = headers_to_json(&headers);
        assert_eq!(json[0], json!({"key_base64": "/2s=", "value": "dg=="}));
        assert_eq!(json[1], json!({"key_base64": "YQBi", "value": null}));
        assert_eq!(headers_from_json(&json).unwrap(), headers);
        assert!(headers_from_json(&json!([{"key": "k", "key_base64": "aw=="}])).is_err());
    }
}
