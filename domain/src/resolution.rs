//! Avro schema resolution: turning a value decoded with its writer schema into
//! the shape of the reader schema this binary understands.
//!
//! apache-avro 0.21 refuses to resolve a `bytes` decimal whose byte string is
//! shorter than the declared precision could need (a value of 1.00 in a
//! `decimal(12, 2)` is one byte long, and it demands six). The Avro
//! specification sets no such minimum for `bytes`, and every other encoder we
//! interoperate with (Java, fastavro in confluent-kafka, our own) writes the
//! fewest bytes. So decimals are sign-extended to sixteen bytes, which satisfy
//! any precision up to 38, before resolving; the number is unchanged.

use apache_avro::types::Value;
use apache_avro::{Decimal, Schema};

/// Width that satisfies apache-avro's length check for every precision ≤ 38.
const WIDE_DECIMAL_BYTES: usize = 16;

/// Resolves `value` (decoded with its writer schema) to `reader`.
pub fn resolve_to_reader(value: Value, reader: &Schema) -> Result<Value, apache_avro::Error> {
    widen_decimals(value).resolve(reader)
}

fn widen_decimals(value: Value) -> Value {
    match value {
        Value::Decimal(decimal) => match Vec::<u8>::try_from(&decimal) {
            Ok(bytes) if bytes.len() < WIDE_DECIMAL_BYTES => Value::Decimal(Decimal::from(sign_extend(&bytes))),
            _ => Value::Decimal(decimal),
        },
        Value::Record(fields) => Value::Record(fields.into_iter().map(|(name, v)| (name, widen_decimals(v))).collect()),
        Value::Union(index, inner) => Value::Union(index, Box::new(widen_decimals(*inner))),
        Value::Array(items) => Value::Array(items.into_iter().map(widen_decimals).collect()),
        Value::Map(entries) => Value::Map(entries.into_iter().map(|(k, v)| (k, widen_decimals(v))).collect()),
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
    use crate::{sale_from_avro, sale_to_avro, schema_v1};
    use crate::generator::{GeneratorConfig, SaleGenerator};
    use apache_avro::{from_avro_datum, to_avro_datum};

    #[test]
    fn minimal_length_decimals_resolve_to_the_reader_schema() {
        let event = SaleGenerator::new(GeneratorConfig::new(8, 1)).unwrap().next().unwrap().event;
        let bytes = to_avro_datum(schema_v1(), sale_to_avro(&event).unwrap()).unwrap();
        let written = from_avro_datum(schema_v1(), &mut bytes.as_slice(), None).unwrap();
        assert!(written.clone().resolve(schema_v1()).is_err(), "apache-avro still refuses short decimals: drop this workaround when it stops");
        let resolved = resolve_to_reader(written, schema_v1()).unwrap();
        assert_eq!(sale_from_avro(resolved).unwrap(), event);
    }

    #[test]
    fn sign_extension_keeps_negative_numbers_negative() {
        assert_eq!(sign_extend(&[0x80]).len(), 16);
        assert_eq!(sign_extend(&[0x80])[0], 0xFF);
        assert_eq!(sign_extend(&[0x7F])[0], 0x00);
    }
}
