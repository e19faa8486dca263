//! Avro values to and from the domain, through serde: `SaleEvent` derives
//! `Serialize` and `Deserialize`, and its logical types pick their Avro form
//! when the (de)serializer is apache-avro's. No field is mapped by hand: a
//! field added to the domain struct and to a new `.avsc` maps by itself.
//!
//! The decoder in the runtime resolves every message to the newest reader
//! schema first, so reading only ever sees reader-shaped records; fields the
//! domain does not know are ignored, and those added after v1 take their
//! schema defaults when absent (`#[serde(default)]`). Decimals cross between
//! the domain's scale and each schema's in [`super::decimals`], instants
//! between the domain's unit and each schema's in [`super::time_units`].

use super::datum_writer;
use super::decimals::{rescale_bytes, to_scale};
use super::time_units::{to_domain_unit, to_schema_unit};
use super::AvroMappingError;
use super::{sale_schema, LATEST_SCHEMA_VERSION};
use crate::money::DECIMAL_SCALE;
use crate::sale::SaleEvent;
use apache_avro::schema::{RecordSchema, Schema};
use apache_avro::types::Value;
use std::collections::HashMap;
use std::sync::OnceLock;

/// apache-avro's serde is not human-readable unless something in the
/// process switched it on; the logical types rely on that.
fn ensure_binary_serde() -> Result<(), AvroMappingError> {
    if apache_avro::util::set_serde_human_readable(false) {
        return Err(AvroMappingError::Invalid(
            "apache-avro's serde was set to human-readable; Avro values cannot be mapped".into(),
        ));
    }
    Ok(())
}

/// The Avro value of an event, shaped like `schemas/sale/v{version}.avsc`
/// (fields the version does not have are left out).
pub fn sale_to_avro(event: &SaleEvent, version: u32) -> Result<Value, AvroMappingError> {
    ensure_binary_serde()?;
    let schema = sale_schema(version).ok_or_else(|| {
        AvroMappingError::Invalid(format!("schema version {version} is not released"))
    })?;
    event_to_avro(event, schema)
}

/// The Avro value of any event of the domain, shaped like `schema`.
pub(super) fn event_to_avro<T: serde::Serialize>(
    event: &T,
    schema: &Schema,
) -> Result<Value, AvroMappingError> {
    ensure_binary_serde()?;
    let value =
        apache_avro::to_value(event).map_err(|e| AvroMappingError::Invalid(e.to_string()))?;
    shape(value, schema)
}

/// The Avro binary datum of an event, written with
/// `schemas/sale/v{version}.avsc`. The newest version, whose fields and
/// decimal scales are the domain's own, is written straight from serde with
/// no intermediate value tree (the import and generate hot path); older
/// versions go through [`sale_to_avro`], which rescales and leaves fields out.
pub fn sale_to_datum(event: &SaleEvent, version: u32) -> Result<Vec<u8>, AvroMappingError> {
    let mut datum = Vec::with_capacity(256);
    write_sale_datum(event, version, &mut datum)?;
    Ok(datum)
}

/// [`sale_to_datum`], appended to `out` (after a header the caller wrote).
/// The newest version goes through [`datum_writer`], which walks the
/// schema's fields in order, unless its schema has a shape that writer
/// does not cover; then apache-avro's serializer writes it.
pub fn write_sale_datum(
    event: &SaleEvent,
    version: u32,
    out: &mut Vec<u8>,
) -> Result<(), AvroMappingError> {
    let schema = sale_schema(version).ok_or_else(|| {
        AvroMappingError::Invalid(format!("schema version {version} is not released"))
    })?;
    let invalid = |e: apache_avro::Error| AvroMappingError::Invalid(e.to_string());
    if version != LATEST_SCHEMA_VERSION {
        let value = sale_to_avro(event, version)?;
        out.extend_from_slice(&apache_avro::to_avro_datum(schema, value).map_err(invalid)?);
        return Ok(());
    }
    static COVERED: OnceLock<bool> = OnceLock::new();
    if *COVERED.get_or_init(|| datum_writer::supports(schema)) {
        return datum_writer::write_datum(schema, event, out)
            .map_err(|e| AvroMappingError::Invalid(e.to_string()));
    }
    ensure_binary_serde()?;
    apache_avro::write_avro_datum_ref(schema, event, out).map_err(invalid)?;
    Ok(())
}

/// The event carried by a record value shaped like `schema` (the reader
/// schema it was resolved to, or the schema it was written with).
pub fn sale_from_avro(value: Value, schema: &Schema) -> Result<SaleEvent, AvroMappingError> {
    event_from_avro(value, schema)
}

/// Any event of the domain, from a record value shaped like `schema`.
pub(super) fn event_from_avro<T: serde::de::DeserializeOwned>(
    value: Value,
    schema: &Schema,
) -> Result<T, AvroMappingError> {
    ensure_binary_serde()?;
    let mut value = to_scale(value, schema, DECIMAL_SCALE)?;
    to_domain_unit(&mut value).map_err(AvroMappingError::Invalid)?;
    apache_avro::from_value(&value).map_err(|e| {
        let message = e.to_string();
        // serde's own wording for a symbol no variant carries.
        if message.contains("unknown variant") {
            AvroMappingError::UnknownSymbol(message)
        } else {
            AvroMappingError::Invalid(message)
        }
    })
}

/// Shapes a serialized event like `schema`: record fields in the schema's
/// order (fields it lacks are left out), decimals from their bytes at the
/// schema's scale (refused if they would need rounding), instants in the
/// schema's unit (refused if they would be truncated), union branches by
/// their schema. Every other value already has the form Avro encodes
/// (strings for enums and uuids, ints for dates, longs for timestamps).
fn shape(value: Value, schema: &Schema) -> Result<Value, AvroMappingError> {
    Ok(match (value, schema) {
        (Value::Record(fields), Schema::Record(RecordSchema { fields: wanted, .. })) => {
            let mut by_name: HashMap<String, Value> = fields.into_iter().collect();
            let shaped = wanted.iter().map(|field| {
                let value = by_name.remove(&field.name).ok_or_else(|| {
                    AvroMappingError::Invalid(format!("the event has no field {}", field.name))
                })?;
                let shaped = shape(value, &field.schema).map_err(|e| match e {
                    AvroMappingError::Invalid(why) => {
                        AvroMappingError::Invalid(format!("{}: {why}", field.name))
                    }
                    other => other,
                })?;
                Ok((field.name.clone(), shaped))
            });
            Value::Record(shaped.collect::<Result<_, AvroMappingError>>()?)
        }
        (Value::Bytes(bytes), Schema::Decimal(declared)) => {
            let scale = declared.scale as u32;
            let rescaled = rescale_bytes(&bytes, DECIMAL_SCALE, scale).map_err(|why| {
                AvroMappingError::Invalid(format!("{why} (the schema declares scale {scale})"))
            })?;
            Value::Decimal(apache_avro::Decimal::from(rescaled))
        }
        (Value::Union(_, inner), Schema::Union(union)) => {
            let is_null = matches!(*inner, Value::Null);
            let (index, branch) = union
                .variants()
                .iter()
                .enumerate()
                .find(|(_, branch)| matches!(branch, Schema::Null) == is_null)
                .ok_or_else(|| {
                    AvroMappingError::Invalid(format!("no union branch for {inner:?}"))
                })?;
            Value::Union(index as u32, Box::new(shape(*inner, branch)?))
        }
        (Value::Long(micros), Schema::TimestampMillis) => Value::TimestampMillis(
            to_schema_unit(micros, schema).map_err(AvroMappingError::Invalid)?,
        ),
        (Value::Long(micros), Schema::TimestampMicros) => Value::TimestampMicros(micros),
        (value, _) => value,
    })
}
