//! Reads an Avro binary datum straight into a [`SaleEvent`], through serde,
//! with no `Value` tree in between. apache-avro decodes a datum into a tree
//! of values first (a `String` for every field name of every record, a box
//! for every union) and serde then walks that tree: most of the pipeline's
//! decoding time went there (`scripts/bench.sh`).
//!
//! This reader is a serde `Deserializer` over the bytes, led by the schema.
//! It knows the kinds the sale schema is made of (records, strings, uuids as
//! text, ints, longs, dates, timestamps, enums, unions, bytes, decimals at
//! the domain's scale, booleans, floats, fixed). A schema with anything else
//! (arrays, maps, named references, another decimal scale) is not read here:
//! [`reads_directly`] says so once per schema, and the caller keeps
//! apache-avro's path. Any datum this reader refuses is read again by that
//! path, whose verdict is the one that counts: this reader only ever
//! shortens the way to the same event (`actors/tests/fuzz_decode_validate.rs`
//! holds it to that).

use super::time_units::long_to_domain_unit;
use super::AvroMappingError;
use crate::money::DECIMAL_SCALE;
use crate::sale::SaleEvent;
use apache_avro::schema::{RecordSchema, Schema, UnionSchema};
use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;

/// Whether [`sale_from_datum`] can read datums written with `schema`.
pub fn reads_directly(schema: &Schema) -> bool {
    match schema {
        Schema::Null
        | Schema::Boolean
        | Schema::Int
        | Schema::Long
        | Schema::Float
        | Schema::Double
        | Schema::Bytes
        | Schema::String
        | Schema::Uuid
        | Schema::Date
        | Schema::TimestampMillis
        | Schema::TimestampMicros
        | Schema::Enum(_)
        | Schema::Fixed(_) => true,
        Schema::Decimal(decimal) => {
            decimal.scale == DECIMAL_SCALE as usize && matches!(*decimal.inner, Schema::Bytes)
        }
        Schema::Record(RecordSchema { fields, .. }) => {
            fields.iter().all(|field| reads_directly(&field.schema))
        }
        Schema::Union(union) => union.variants().iter().all(reads_directly),
        _ => false,
    }
}

/// The event of one datum written with `schema` (the framing removed).
/// A refusal carries a reason for the log only: the caller reads the datum
/// again through apache-avro for the verdict.
pub fn sale_from_datum(datum: &[u8], schema: &Schema) -> Result<SaleEvent, AvroMappingError> {
    let mut bytes = Bytes(datum);
    let event = SaleEvent::deserialize(Datum { bytes: &mut bytes, schema })
        .map_err(|DatumError(why)| AvroMappingError::Invalid(why))?;
    if !bytes.0.is_empty() {
        return Err(AvroMappingError::Invalid(format!("{} bytes follow the datum", bytes.0.len())));
    }
    Ok(event)
}

/// Why a datum could not be read here.
#[derive(Debug)]
struct DatumError(String);

impl fmt::Display for DatumError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DatumError {}

impl de::Error for DatumError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DatumError(msg.to_string())
    }
}

fn refuse<T>(why: impl Into<String>) -> Result<T, DatumError> {
    Err(DatumError(why.into()))
}

/// The bytes not read yet.
struct Bytes<'de>(&'de [u8]);

impl<'de> Bytes<'de> {
    fn take(&mut self, n: usize) -> Result<&'de [u8], DatumError> {
        if n > self.0.len() {
            return refuse(format!("{n} bytes announced, {} left", self.0.len()));
        }
        let (taken, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(taken)
    }

    /// A zigzag varint, as Avro writes ints and longs.
    fn long(&mut self) -> Result<i64, DatumError> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let [byte] = self.take(1)? else { unreachable!("one byte taken") };
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok((value >> 1) as i64 ^ -((value & 1) as i64));
            }
        }
        refuse("a varint longer than 10 bytes")
    }

    fn int(&mut self) -> Result<i32, DatumError> {
        let long = self.long()?;
        i32::try_from(long).or_else(|_| refuse(format!("{long} does not fit an int")))
    }

    /// A length or an index: never negative.
    fn count(&mut self) -> Result<usize, DatumError> {
        let long = self.long()?;
        usize::try_from(long).or_else(|_| refuse(format!("negative length {long}")))
    }

    fn bytes(&mut self) -> Result<&'de [u8], DatumError> {
        let len = self.count()?;
        self.take(len)
    }

    fn str(&mut self) -> Result<&'de str, DatumError> {
        std::str::from_utf8(self.bytes()?).or_else(|e| refuse(e.to_string()))
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DatumError> {
        Ok(self.take(N)?.try_into().expect("N bytes taken"))
    }
}

/// One datum: the bytes, and the schema that says how to read them.
struct Datum<'a, 'de, 's> {
    bytes: &'a mut Bytes<'de>,
    schema: &'s Schema,
}

impl<'a, 'de, 's> Datum<'a, 'de, 's> {
    fn with(bytes: &'a mut Bytes<'de>, schema: &'s Schema) -> Self {
        Datum { bytes, schema }
    }

    /// The branch of a union this datum holds.
    fn branch(bytes: &mut Bytes<'de>, union: &'s UnionSchema) -> Result<&'s Schema, DatumError> {
        let index = bytes.count()?;
        union.variants().get(index).ok_or_else(|| DatumError(format!("no union branch {index}")))
    }
}

impl<'de> de::Deserializer<'de> for Datum<'_, 'de, '_> {
    type Error = DatumError;

    fn is_human_readable(&self) -> bool {
        false
    }

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DatumError> {
        let bytes = self.bytes;
        match self.schema {
            Schema::Null => visitor.visit_unit(),
            Schema::Boolean => match bytes.array::<1>()? {
                [0] => visitor.visit_bool(false),
                [1] => visitor.visit_bool(true),
                [other] => refuse(format!("{other} is not a boolean")),
            },
            Schema::Int | Schema::Date => visitor.visit_i32(bytes.int()?),
            Schema::Long | Schema::TimestampMillis | Schema::TimestampMicros => {
                let long = long_to_domain_unit(bytes.long()?, self.schema).map_err(DatumError)?;
                visitor.visit_i64(long)
            }
            Schema::Float => visitor.visit_f32(f32::from_le_bytes(bytes.array()?)),
            Schema::Double => visitor.visit_f64(f64::from_le_bytes(bytes.array()?)),
            Schema::String => visitor.visit_borrowed_str(bytes.str()?),
            // A uuid of 16 raw bytes is apache-avro's to read.
            Schema::Uuid => match bytes.str()? {
                text if text.len() == 16 => refuse("a uuid of 16 bytes"),
                text => visitor.visit_borrowed_str(text),
            },
            Schema::Bytes | Schema::Decimal(_) => visitor.visit_borrowed_bytes(bytes.bytes()?),
            Schema::Fixed(fixed) => visitor.visit_borrowed_bytes(bytes.take(fixed.size)?),
            Schema::Enum(enum_schema) => {
                let index = bytes.count()?;
                match enum_schema.symbols.get(index) {
                    Some(symbol) => visitor.visit_str(symbol),
                    None => refuse(format!("no enum symbol {index}")),
                }
            }
            Schema::Union(union) => {
                let branch = Datum::branch(bytes, union)?;
                Datum::with(bytes, branch).deserialize_any(visitor)
            }
            Schema::Record(record) => visitor.visit_map(Fields { bytes, record, next: 0 }),
            other => refuse(format!("{:?} is not read directly", other)),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DatumError> {
        let Schema::Union(union) = self.schema else {
            return refuse("an optional field that is no union");
        };
        match Datum::branch(self.bytes, union)? {
            Schema::Null => visitor.visit_none(),
            branch => visitor.visit_some(Datum::with(self.bytes, branch)),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DatumError> {
        let symbol = match self.schema {
            Schema::Enum(enum_schema) => {
                let index = self.bytes.count()?;
                enum_schema.symbols.get(index).map(String::as_str)
            }
            _ => return refuse("an enum field that is no Avro enum"),
        };
        let symbol = symbol.ok_or_else(|| DatumError("an enum index past the symbols".into()))?;
        visitor.visit_enum(IntoDeserializer::<DatumError>::into_deserializer(symbol))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DatumError> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

/// The fields of a record, in the schema's order, as a serde map.
struct Fields<'a, 'de, 's> {
    bytes: &'a mut Bytes<'de>,
    record: &'s RecordSchema,
    next: usize,
}

impl<'de> MapAccess<'de> for Fields<'_, 'de, '_> {
    type Error = DatumError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DatumError> {
        let Some(field) = self.record.fields.get(self.next) else { return Ok(None) };
        seed.deserialize(field.name.as_str().into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DatumError> {
        let field = &self.record.fields[self.next];
        self.next += 1;
        seed.deserialize(Datum::with(self.bytes, &field.schema))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.record.fields.len() - self.next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avro::{sale_from_avro, sale_schema, sale_to_datum, LATEST_SCHEMA_VERSION};
    use crate::generator::{GeneratorConfig, SaleGenerator};

    fn through_values(datum: &[u8], schema: &Schema) -> Result<SaleEvent, String> {
        let value = apache_avro::from_avro_datum(schema, &mut &datum[..], None)
            .map_err(|e| e.to_string())?;
        sale_from_avro(value, schema).map_err(|e| e.to_string())
    }

    #[test]
    fn the_latest_schema_is_read_directly_and_older_decimal_scales_are_not() {
        assert!(reads_directly(sale_schema(LATEST_SCHEMA_VERSION).unwrap()));
        // v1 and v2 carry money at scale 2: rescaling is apache-avro's path.
        assert!(!reads_directly(sale_schema(1).unwrap()));
        let with_array = Schema::parse_str(r#"{"type":"array","items":"long"}"#).unwrap();
        assert!(!reads_directly(&with_array));
    }

    #[test]
    fn generated_events_read_the_same_as_through_apache_avro_values() {
        let schema = sale_schema(LATEST_SCHEMA_VERSION).unwrap();
        let mut config = GeneratorConfig::new(11, 2_000);
        config.invalid_ratio = 0.0;
        for generated in SaleGenerator::new(config).unwrap() {
            let datum = sale_to_datum(&generated.event, LATEST_SCHEMA_VERSION).unwrap();
            let direct = sale_from_datum(&datum, schema).unwrap();
            assert_eq!(direct, generated.event);
            assert_eq!(Ok(direct), through_values(&datum, schema));
        }
    }

    #[test]
    fn a_datum_cut_short_or_followed_by_bytes_is_refused() {
        let schema = sale_schema(LATEST_SCHEMA_VERSION).unwrap();
        let event = SaleGenerator::new(GeneratorConfig::new(3, 1)).unwrap().next().unwrap().event;
        let datum = sale_to_datum(&event, LATEST_SCHEMA_VERSION).unwrap();
        for cut in 0..datum.len() {
            assert!(sale_from_datum(&datum[..cut], schema).is_err(), "cut at {cut}");
        }
        let mut longer = datum.clone();
        longer.push(0);
        let refused = sale_from_datum(&longer, schema).unwrap_err().to_string();
        assert!(refused.contains("1 bytes follow"), "{refused}");
    }
}
