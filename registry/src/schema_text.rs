//! What the registry accepts as a schema, and the one form it stores it in.

use apache_avro::Schema;

/// Why a text is not a schema the registry can store: not JSON, or JSON
/// that is not Avro. The service reports it as its `InvalidSchema` error.
#[derive(Debug, thiserror::Error)]
#[error("Invalid schema: {0}")]
pub struct InvalidSchema(pub String);

/// A schema that parsed as Avro, kept as compact JSON in its original field
/// order. Two submissions that differ only in whitespace normalize to the
/// same text, hence to the same id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalizedSchema {
    text: String,
}

impl NormalizedSchema {
    /// Parses `raw` as JSON, then as an Avro schema.
    pub fn parse(raw: &str) -> Result<Self, InvalidSchema> {
        let json: serde_json::Value =
            serde_json::from_str(raw).map_err(|e| InvalidSchema(format!("not valid JSON: {e}")))?;
        let text = serde_json::to_string(&json).expect("a parsed JSON value serializes");
        Schema::parse_str(&text)
            .map_err(|e| InvalidSchema(format!("not a valid Avro schema: {e}")))?;
        Ok(NormalizedSchema { text })
    }

    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    pub(crate) fn from_stored(text: String) -> Self {
        NormalizedSchema { text }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_does_not_change_identity_but_order_is_kept() {
        let a = NormalizedSchema::parse(
            r#"{"type": "record", "name": "A", "fields": [{"name": "x", "type": "int"}]}"#,
        )
        .unwrap();
        let b = NormalizedSchema::parse(
            "{\"type\":\"record\",\n \"name\":\"A\",\
             \"fields\":[{\"name\":\"x\",\"type\":\"int\"}]}",
        )
        .unwrap();
        assert_eq!(a, b);
        assert!(a.text().starts_with(r#"{"type":"record","name":"A""#));
    }
}
