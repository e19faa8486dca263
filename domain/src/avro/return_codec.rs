//! The return event in Avro: the released schemas of `schemas/return/`,
//! compiled in like the sale's, and the mapping between a
//! [`crate::ReturnEvent`] and their values, through the same serde codec
//! ([`super::codec`]). Returns are a small share of the log, so they take
//! the general path: no hand-written fast reader or writer.

use super::codec::{event_from_avro, event_to_avro};
use super::released::RELEASED_RETURN;
use super::AvroMappingError;
use crate::return_event::ReturnEvent;
use apache_avro::types::Value;
use apache_avro::Schema;
use std::sync::OnceLock;

/// The newest version of the return schema this build knows.
pub const LATEST_RETURN_SCHEMA_VERSION: u32 = RELEASED_RETURN.len() as u32;

/// The text of a released version of the return schema.
pub fn return_schema_text(version: u32) -> Option<&'static str> {
    RELEASED_RETURN.get(usize::try_from(version).ok()?.checked_sub(1)?).copied()
}

/// The parsed schema of a released version of the return.
pub fn return_schema(version: u32) -> Option<&'static Schema> {
    static SCHEMAS: OnceLock<Vec<Schema>> = OnceLock::new();
    let schemas = SCHEMAS.get_or_init(|| {
        RELEASED_RETURN
            .iter()
            .map(|text| Schema::parse_str(text).expect("released schemas are valid Avro"))
            .collect()
    });
    schemas.get(usize::try_from(version).ok()?.checked_sub(1)?)
}

/// The newest return schema this build knows.
pub fn return_schema_latest() -> &'static Schema {
    return_schema(LATEST_RETURN_SCHEMA_VERSION).expect("the latest version exists")
}

/// The Avro binary datum of a return, written with `schemas/return/v{version}.avsc`.
pub fn return_to_datum(event: &ReturnEvent, version: u32) -> Result<Vec<u8>, AvroMappingError> {
    let schema = return_schema(version).ok_or_else(|| {
        AvroMappingError::Invalid(format!("return schema version {version} is not released"))
    })?;
    let value = event_to_avro(event, schema)?;
    apache_avro::to_avro_datum(schema, value).map_err(|e| AvroMappingError::Invalid(e.to_string()))
}

/// The return carried by a record value shaped like `schema`.
pub fn return_from_avro(value: Value, schema: &Schema) -> Result<ReturnEvent, AvroMappingError> {
    event_from_avro(value, schema)
}
