//! What the API reads from a request: schema bodies, config bodies and the
//! query flags Confluent's clients send.

use crate::compatibility::CompatibilityLevel;
use crate::service::RegistryError;
use crate::NormalizedSchema;
use serde::Deserialize;
use std::collections::HashMap;

/// The body of a register, lookup or compatibility request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SchemaRequest {
    schema: String,
    #[serde(default)]
    schema_type: Option<String>,
    #[serde(default)]
    references: Vec<serde_json::Value>,
}

/// Parses a schema body; any content type is accepted, as Confluent's server does.
pub fn schema_body(body: &[u8]) -> Result<NormalizedSchema, RegistryError> {
    let request: SchemaRequest = serde_json::from_slice(body).map_err(|e| {
        RegistryError::InvalidSchema(format!("the request body is not a schema request: {e}"))
    })?;
    match request.schema_type.as_deref() {
        None | Some("AVRO") => {}
        Some(other) => {
            return Err(RegistryError::InvalidSchema(format!(
                "schema type {other} is not supported; only AVRO is"
            )))
        }
    }
    if !request.references.is_empty() {
        return Err(RegistryError::InvalidSchema("schema references are not supported".into()));
    }
    Ok(NormalizedSchema::parse(&request.schema)?)
}

/// The body of a config update.
#[derive(Debug, Deserialize)]
struct ConfigRequest {
    compatibility: String,
}

/// Parses a config body into a level.
pub fn level_body(body: &[u8]) -> Result<CompatibilityLevel, RegistryError> {
    let request: ConfigRequest = serde_json::from_slice(body).map_err(|e| {
        RegistryError::InvalidCompatibilityLevel(format!("the body is not a config update: {e}"))
    })?;
    request.compatibility.parse().map_err(RegistryError::InvalidCompatibilityLevel)
}

/// Query flags Confluent's clients send. Values are read leniently
/// (`true`, `True`, `TRUE`), as clients differ; unknown flags are ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(from = "HashMap<String, String>")]
pub struct Flags {
    pub verbose: bool,
    pub permanent: bool,
    pub default_to_global: bool,
}

impl From<HashMap<String, String>> for Flags {
    fn from(query: HashMap<String, String>) -> Self {
        let flag = |name: &str| query.get(name).is_some_and(|v| v.eq_ignore_ascii_case("true"));
        Flags {
            verbose: flag("verbose"),
            permanent: flag("permanent"),
            default_to_global: flag("defaultToGlobal"),
        }
    }
}
