//! Avro schema resolution: turning a value decoded with its writer schema into
//! the shape of the reader schema this binary understands.
//!
//! A timestamp written in another unit than the reader's (`timestamp-micros`
//! read as `timestamp-millis`) keeps the writer's unit, which apache-avro
//! would refuse and the domain reads exactly (`avro/time_units.rs`).
//!
//! Decimals first move to the reader's scale (`avro/decimals.rs`): Avro's
//! resolution compares precision only, and would read the bytes of `261.96`
//! at scale 2 as `2.6196` at scale 4. Decoding with the writer's scale and
//! then rescaling keeps `261.96` as `261.9600`.
//!
//! apache-avro 0.21 refuses to resolve a `bytes` decimal whose byte string is
//! shorter than the declared precision could need (a value of 1.00 in a
//! `decimal(12, 2)` is one byte long, and it demands six). The Avro
//! specification sets no such minimum for `bytes`, and every other encoder we
//! interoperate with (Java, fastavro in confluent-kafka, our own) writes the
//! fewest bytes. So decimals are sign-extended to sixteen bytes, which satisfy
//! any precision up to 38, before resolving; the number is unchanged.

use crate::avro::{reader_in_writer_units, to_reader_scale};
use apache_avro::types::Value;
use apache_avro::{Decimal, Schema};

/// Width that satisfies apache-avro's length check for every precision ≤ 38.
const WIDE_DECIMAL_BYTES: usize = 16;

/// Why a written value cannot be read with the reader schema.
#[derive(Debug, thiserror::Error)]
pub enum ResolutionError {
    /// A written decimal cannot be brought to the reader's scale exactly;
    /// the text names the field.
    #[error("decimal scale: {0}")]
    Scale(String),
    /// apache-avro's schema resolution refused the value.
    #[error(transparent)]
    Avro(#[from] apache_avro::Error),
}

/// Resolves `value`, decoded with `writer`, to `reader`.
pub fn resolve_to_reader(
    value: Value,
    writer: &Schema,
    reader: &Schema,
) -> Result<Value, ResolutionError> {
    let reader = reader_in_writer_units(writer, reader);
    let rescaled = to_reader_scale(value, writer, &reader).map_err(ResolutionError::Scale)?;
    Ok(widen_decimals(rescaled).resolve(&reader)?)
}

fn widen_decimals(value: Value) -> Value {
    match value {
        Value::Decimal(decimal) => match Vec::<u8>::try_from(&decimal) {
            Ok(bytes) if bytes.len() < WIDE_DECIMAL_BYTES => {
                Value::Decimal(Decimal::from(sign_extend(&bytes)))
            }
            _ => Value::Decimal(decimal),
        },
        Value::Record(fields) => {
            Value::Record(fields.into_iter().map(|(name, v)| (name, widen_decimals(v))).collect())
        }
        Value::Union(index, inner) => Value::Union(index, Box::new(widen_decimals(*inner))),
        Value::Array(items) => Value::Array(items.into_iter().map(widen_decimals).collect()),
        Value::Map(entries) => {
            Value::Map(entries.into_iter().map(|(k, v)| (k, widen_decimals(v))).collect())
        }
        other => other,
    }
}

fn sign_extend(bytes: &[u8]) -> Vec<u8> {
    let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
    let mut wide = vec![if negative { 0xFF } else { 0x00 }; WIDE_DECIMAL_BYTES - bytes.len()];
    wide.extend_from_slice(bytes);
    wide
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generator::{GeneratorConfig, SaleGenerator};
    use crate::{sale_from_avro, sale_to_avro, schema_latest, schema_v1};
    use apache_avro::{from_avro_datum, to_avro_datum};

    #[test]
    fn minimal_length_decimals_resolve_to_the_reader_schema() {
        let event = SaleGenerator::new(GeneratorConfig::new(8, 1)).unwrap().next().unwrap().event;
        let bytes = to_avro_datum(schema_v1(), sale_to_avro(&event, 1).unwrap()).unwrap();
        let written = from_avro_datum(schema_v1(), &mut bytes.as_slice(), None).unwrap();
        assert!(
            written.clone().resolve(schema_v1()).is_err(),
            "apache-avro still refuses short decimals: drop this workaround when it stops"
        );
        let resolved = resolve_to_reader(written, schema_v1(), schema_v1()).unwrap();
        assert_eq!(sale_from_avro(resolved, schema_v1()).unwrap(), event);
    }

    #[test]
    fn a_v1_event_read_with_v2_gets_the_defaults() {
        use crate::PaymentMethod;
        let event = SaleGenerator::new(GeneratorConfig::new(8, 1)).unwrap().next().unwrap().event;
        let bytes = to_avro_datum(schema_v1(), sale_to_avro(&event, 1).unwrap()).unwrap();
        let written = from_avro_datum(schema_v1(), &mut bytes.as_slice(), None).unwrap();
        let resolved = resolve_to_reader(written, schema_v1(), schema_latest()).unwrap();
        let read = sale_from_avro(resolved, schema_latest()).unwrap();
        assert_eq!(read.payment_method, PaymentMethod::Unknown);
        assert_eq!(read.loyalty_id, None);
        assert_eq!(read, event);
    }

    #[test]
    fn a_v2_event_keeps_its_new_fields() {
        use crate::PaymentMethod;
        let mut config = GeneratorConfig::new(8, 200);
        config.schema_version = 2;
        let v2 = crate::sale_schema(2).unwrap();
        let events: Vec<_> = SaleGenerator::new(config).unwrap().map(|g| g.event).collect();
        assert!(
            events.iter().any(|e| e.loyalty_id.is_some())
                && events.iter().any(|e| e.loyalty_id.is_none())
        );
        assert!(events.iter().all(|e| e.payment_method != PaymentMethod::Unknown));
        for event in events {
            let bytes = to_avro_datum(v2, sale_to_avro(&event, 2).unwrap()).unwrap();
            let written = from_avro_datum(v2, &mut bytes.as_slice(), None).unwrap();
            let resolved = resolve_to_reader(written, v2, schema_latest()).unwrap();
            assert_eq!(sale_from_avro(resolved, schema_latest()).unwrap(), event);
        }
    }

    #[test]
    fn the_schema_version_does_not_change_the_base_events() {
        let mut v2 = GeneratorConfig::new(31, 300);
        v2.schema_version = 2;
        let ids_v1: Vec<_> = SaleGenerator::new(GeneratorConfig::new(31, 300))
            .unwrap()
            .map(|g| g.event.event_id)
            .collect();
        let ids_v2: Vec<_> = SaleGenerator::new(v2).unwrap().map(|g| g.event.event_id).collect();
        assert_eq!(ids_v1, ids_v2);
    }

    #[test]
    fn a_micros_event_time_is_read_to_the_microsecond() {
        use apache_avro::Schema;
        use chrono::DateTime;
        let v3 = crate::sale_schema_text(3).unwrap();
        let micros =
            Schema::parse_str(&v3.replace("timestamp-millis", "timestamp-micros")).unwrap();
        let mut event =
            SaleGenerator::new(GeneratorConfig::new(8, 1)).unwrap().next().unwrap().event;
        let Value::Record(mut fields) = sale_to_avro(&event, 3).unwrap() else {
            panic!("a record")
        };
        let instant = event.event_time.timestamp_micros() + 123_456;
        fields.iter_mut().find(|(name, _)| name == "event_time").unwrap().1 =
            Value::TimestampMicros(instant);
        let bytes = to_avro_datum(&micros, Value::Record(fields)).unwrap();
        let written = from_avro_datum(&micros, &mut bytes.as_slice(), None).unwrap();
        let resolved = resolve_to_reader(written, &micros, schema_latest()).unwrap();
        event.event_time = DateTime::from_timestamp_micros(instant).unwrap();
        assert_eq!(sale_from_avro(resolved, schema_latest()).unwrap(), event);
    }

    #[test]
    fn sign_extension_keeps_negative_numbers_negative() {
        assert_eq!(sign_extend(&[0x80]).len(), 16);
        assert_eq!(sign_extend(&[0x80])[0], 0xFF);
        assert_eq!(sign_extend(&[0x7F])[0], 0x00);
    }
}
