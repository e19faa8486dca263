//! A serde serializer that writes the Avro binary datum of a value by its
//! schema, on the publish hot path (`write_sale_datum` at the newest
//! version). apache-avro's schema-aware serializer looks every field up in
//! a hash map by name and clones the enclosing namespace for each one, which
//! makes encoding an event cost twice as much as generating it. This writer
//! walks the schema's fields in order and only checks that the field serde
//! hands it is the one the schema expects next (a short comparison), so the
//! serde form stays the one declaration of the mapping.
//!
//! It covers the shapes the sale schemas use: records, enums, `["null", T]`
//! unions (for `Option`), strings, ints, longs, floats, doubles, booleans,
//! bytes, and the logical types over them (uuid, date, timestamps, decimals
//! in bytes). [`supports`] tells whether a schema stays within them; the
//! caller sends any other schema through apache-avro. Decimals are written
//! from the bytes the domain's types hand over: the caller vouches that the
//! schema's scales are the domain's own.

use super::time_units::to_schema_unit;
use apache_avro::schema::{RecordField, Schema, UnionSchema};
use serde::ser::{self, Impossible, Serialize};
use std::fmt::{Display, Write as _};

/// Why a value could not be written with a schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct DatumError(String);

impl ser::Error for DatumError {
    fn custom<T: Display>(msg: T) -> Self {
        DatumError(msg.to_string())
    }
}

/// Appends the Avro binary datum of `value`, written with `schema`, to `out`.
pub(crate) fn write_datum<T: Serialize + ?Sized>(
    schema: &Schema,
    value: &T,
    out: &mut Vec<u8>,
) -> Result<(), DatumError> {
    value.serialize(DatumWriter { out, schema })
}

/// Whether every part of `schema` is a shape this writer covers.
pub(crate) fn supports(schema: &Schema) -> bool {
    match schema {
        Schema::Null
        | Schema::Boolean
        | Schema::Int
        | Schema::Long
        | Schema::Float
        | Schema::Double
        | Schema::Bytes
        | Schema::String
        | Schema::Enum(_)
        | Schema::Uuid
        | Schema::Date
        | Schema::TimeMillis
        | Schema::TimeMicros
        | Schema::TimestampMillis
        | Schema::TimestampMicros
        | Schema::TimestampNanos
        | Schema::LocalTimestampMillis
        | Schema::LocalTimestampMicros
        | Schema::LocalTimestampNanos => true,
        Schema::Decimal(decimal) => matches!(*decimal.inner, Schema::Bytes),
        Schema::Record(record) => record.fields.iter().all(|field| supports(&field.schema)),
        Schema::Union(union) => optional_branches(union).is_some_and(|(_, _, some)| supports(some)),
        _ => false,
    }
}

/// The branches of a `["null", T]` union (either order): the null branch's
/// index, T's index, and T.
fn optional_branches(union: &UnionSchema) -> Option<(i64, i64, &Schema)> {
    match union.variants() {
        [Schema::Null, some] => Some((0, 1, some)),
        [some, Schema::Null] => Some((1, 0, some)),
        _ => None,
    }
}

/// Avro's variable-length zig-zag encoding of ints and longs.
fn encode_long(value: i64) -> ([u8; 10], usize) {
    let mut bytes = [0u8; 10];
    let mut zigzag = ((value << 1) ^ (value >> 63)) as u64;
    let mut used = 0;
    while zigzag >= 0x80 {
        bytes[used] = (zigzag as u8) | 0x80;
        zigzag >>= 7;
        used += 1;
    }
    bytes[used] = zigzag as u8;
    (bytes, used + 1)
}

fn write_long(out: &mut Vec<u8>, value: i64) {
    // Most values (lengths, small ints) take one byte: skip the buffer.
    let zigzag = ((value << 1) ^ (value >> 63)) as u64;
    if zigzag < 0x80 {
        out.push(zigzag as u8);
        return;
    }
    let (bytes, used) = encode_long(value);
    out.extend_from_slice(&bytes[..used]);
}

fn write_length_prefixed(out: &mut Vec<u8>, bytes: &[u8]) {
    write_long(out, bytes.len() as i64);
    out.extend_from_slice(bytes);
}

fn mismatch(what: &str, schema: &Schema) -> DatumError {
    DatumError(format!("cannot write {what} as {}", schema_name(schema)))
}

fn schema_name(schema: &Schema) -> String {
    match schema {
        Schema::Record(record) => format!("record {}", record.name),
        Schema::Enum(named) => format!("enum {}", named.name),
        other => format!("{:?}", apache_avro::schema::SchemaKind::from(other)).to_lowercase(),
    }
}

/// Whether two names are the same: a byte loop the compiler inlines, as
/// names are short, rather than a call to `memcmp` for each field and symbol.
fn same_name(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

/// Formats straight into the datum (for `collect_str`).
struct TextSink<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for TextSink<'_> {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        self.0.extend_from_slice(text.as_bytes());
        Ok(())
    }
}

/// Writes one value with one schema.
struct DatumWriter<'a> {
    out: &'a mut Vec<u8>,
    schema: &'a Schema,
}

impl DatumWriter<'_> {
    fn write_integer(self, value: i64, what: &str) -> Result<(), DatumError> {
        match self.schema {
            Schema::Int | Schema::Date | Schema::TimeMillis => {
                let fits = i32::try_from(value).is_ok();
                if !fits {
                    return Err(DatumError(format!("{value} does not fit an Avro int")));
                }
            }
            Schema::Long
            | Schema::TimeMicros
            | Schema::TimestampMillis
            | Schema::TimestampMicros
            | Schema::TimestampNanos
            | Schema::LocalTimestampMillis
            | Schema::LocalTimestampMicros
            | Schema::LocalTimestampNanos => {}
            other => return Err(mismatch(what, other)),
        }
        let value = to_schema_unit(value, self.schema).map_err(DatumError)?;
        write_long(self.out, value);
        Ok(())
    }
}

/// Collections and variants with data: none of the sale schemas has them.
type Unsupported = Impossible<(), DatumError>;

impl<'a> ser::Serializer for DatumWriter<'a> {
    type Ok = ();
    type Error = DatumError;
    type SerializeSeq = Unsupported;
    type SerializeTuple = Unsupported;
    type SerializeTupleStruct = Unsupported;
    type SerializeTupleVariant = Unsupported;
    type SerializeMap = Unsupported;
    type SerializeStruct = RecordWriter<'a>;
    type SerializeStructVariant = Unsupported;

    fn is_human_readable(&self) -> bool {
        false
    }

    fn serialize_bool(self, value: bool) -> Result<(), DatumError> {
        match self.schema {
            Schema::Boolean => {
                self.out.push(u8::from(value));
                Ok(())
            }
            other => Err(mismatch("a boolean", other)),
        }
    }

    fn serialize_i8(self, value: i8) -> Result<(), DatumError> {
        self.write_integer(value.into(), "an integer")
    }

    fn serialize_i16(self, value: i16) -> Result<(), DatumError> {
        self.write_integer(value.into(), "an integer")
    }

    fn serialize_i32(self, value: i32) -> Result<(), DatumError> {
        self.write_integer(value.into(), "an integer")
    }

    fn serialize_i64(self, value: i64) -> Result<(), DatumError> {
        self.write_integer(value, "an integer")
    }

    fn serialize_u8(self, value: u8) -> Result<(), DatumError> {
        self.write_integer(value.into(), "an integer")
    }

    fn serialize_u16(self, value: u16) -> Result<(), DatumError> {
        self.write_integer(value.into(), "an integer")
    }

    fn serialize_u32(self, value: u32) -> Result<(), DatumError> {
        self.write_integer(value.into(), "an integer")
    }

    fn serialize_u64(self, value: u64) -> Result<(), DatumError> {
        let value = i64::try_from(value)
            .map_err(|_| DatumError(format!("{value} does not fit an Avro long")))?;
        self.write_integer(value, "an integer")
    }

    fn serialize_f32(self, value: f32) -> Result<(), DatumError> {
        match self.schema {
            Schema::Float => {
                self.out.extend_from_slice(&value.to_le_bytes());
                Ok(())
            }
            _ => self.serialize_f64(value.into()),
        }
    }

    fn serialize_f64(self, value: f64) -> Result<(), DatumError> {
        match self.schema {
            Schema::Double => {
                self.out.extend_from_slice(&value.to_le_bytes());
                Ok(())
            }
            other => Err(mismatch("a floating-point number", other)),
        }
    }

    fn serialize_char(self, value: char) -> Result<(), DatumError> {
        self.serialize_str(value.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, value: &str) -> Result<(), DatumError> {
        match self.schema {
            Schema::String | Schema::Uuid => {
                write_length_prefixed(self.out, value.as_bytes());
                Ok(())
            }
            other => Err(mismatch("a string", other)),
        }
    }

    /// Formats in place, then puts the length in front: no string allocated.
    fn collect_str<T: Display + ?Sized>(self, value: &T) -> Result<(), DatumError> {
        if !matches!(self.schema, Schema::String | Schema::Uuid) {
            return Err(mismatch("a string", self.schema));
        }
        let start = self.out.len();
        write!(TextSink(self.out), "{value}").map_err(|e| DatumError(e.to_string()))?;
        let (prefix, used) = encode_long((self.out.len() - start) as i64);
        self.out.splice(start..start, prefix[..used].iter().copied());
        Ok(())
    }

    fn serialize_bytes(self, value: &[u8]) -> Result<(), DatumError> {
        match self.schema {
            Schema::Bytes => {
                write_length_prefixed(self.out, value);
                Ok(())
            }
            Schema::Decimal(decimal) if matches!(*decimal.inner, Schema::Bytes) => {
                write_length_prefixed(self.out, value);
                Ok(())
            }
            other => Err(mismatch("bytes", other)),
        }
    }

    fn serialize_none(self) -> Result<(), DatumError> {
        match self.schema {
            Schema::Union(union) => match optional_branches(union) {
                Some((null, _, _)) => {
                    write_long(self.out, null);
                    Ok(())
                }
                None => Err(mismatch("a missing value", self.schema)),
            },
            Schema::Null => Ok(()),
            other => Err(mismatch("a missing value", other)),
        }
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), DatumError> {
        let Schema::Union(union) = self.schema else {
            return Err(mismatch("an optional value", self.schema));
        };
        let (_, index, some) =
            optional_branches(union).ok_or_else(|| mismatch("an optional value", self.schema))?;
        write_long(self.out, index);
        value.serialize(DatumWriter { out: self.out, schema: some })
    }

    fn serialize_unit(self) -> Result<(), DatumError> {
        self.serialize_none()
    }

    fn serialize_unit_struct(self, name: &'static str) -> Result<(), DatumError> {
        Err(mismatch(name, self.schema))
    }

    fn serialize_unit_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
    ) -> Result<(), DatumError> {
        let Schema::Enum(enumeration) = self.schema else {
            return Err(mismatch(name, self.schema));
        };
        // Symbols usually come in the order of the Rust variants.
        let position = match enumeration.symbols.get(index as usize) {
            Some(symbol) if same_name(symbol, variant) => Some(index as usize),
            _ => enumeration.symbols.iter().position(|symbol| same_name(symbol, variant)),
        };
        let position = position.ok_or_else(|| {
            DatumError(format!("{variant} is not a symbol of enum {}", enumeration.name))
        })?;
        write_long(self.out, position as i64);
        Ok(())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), DatumError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), DatumError> {
        Err(mismatch(name, self.schema))
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Unsupported, DatumError> {
        Err(mismatch("a sequence", self.schema))
    }

    fn serialize_tuple(self, _len: usize) -> Result<Unsupported, DatumError> {
        Err(mismatch("a tuple", self.schema))
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<Unsupported, DatumError> {
        Err(mismatch(name, self.schema))
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Unsupported, DatumError> {
        Err(mismatch(name, self.schema))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Unsupported, DatumError> {
        Err(mismatch("a map", self.schema))
    }

    fn serialize_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<RecordWriter<'a>, DatumError> {
        match self.schema {
            Schema::Record(record) => {
                Ok(RecordWriter { out: self.out, fields: &record.fields, next: 0 })
            }
            other => Err(mismatch(name, other)),
        }
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Unsupported, DatumError> {
        Err(mismatch(name, self.schema))
    }
}

/// Writes the fields of one record, which serde must hand over in the
/// schema's order.
struct RecordWriter<'a> {
    out: &'a mut Vec<u8>,
    fields: &'a [RecordField],
    next: usize,
}

impl ser::SerializeStruct for RecordWriter<'_> {
    type Ok = ();
    type Error = DatumError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), DatumError> {
        let field = self.fields.get(self.next).ok_or_else(|| {
            DatumError(format!("field {key} comes after the last field of the schema"))
        })?;
        if !same_name(&field.name, key) {
            let expected = &field.name;
            return Err(DatumError(format!("field {key} comes where the schema has {expected}")));
        }
        self.next += 1;
        value
            .serialize(DatumWriter { out: self.out, schema: &field.schema })
            .map_err(|DatumError(why)| DatumError(format!("{key}: {why}")))
    }

    fn end(self) -> Result<(), DatumError> {
        match self.fields.get(self.next) {
            Some(missing) => Err(DatumError(format!("the value has no field {}", missing.name))),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    fn schema(text: &str) -> Schema {
        Schema::parse_str(text).unwrap()
    }

    #[derive(Serialize)]
    struct Line {
        id: String,
        units: i32,
        note: Option<String>,
    }

    const LINE: &str = r#"{"type": "record", "name": "Line", "fields": [
        {"name": "id", "type": "string"},
        {"name": "units", "type": "int"},
        {"name": "note", "type": ["null", "string"]}]}"#;

    #[test]
    fn the_newest_sale_schema_is_covered() {
        assert!(supports(crate::schema_latest()));
    }

    #[test]
    fn writes_what_apache_avro_writes() {
        let schema = schema(LINE);
        for note in [None, Some("x".repeat(200))] {
            let line = Line { id: "US-1".into(), units: -70, note };
            let mut ours = Vec::new();
            write_datum(&schema, &line, &mut ours).unwrap();
            let mut theirs = Vec::new();
            apache_avro::write_avro_datum_ref(&schema, &line, &mut theirs).unwrap();
            assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn a_field_out_of_the_schemas_order_is_refused_by_name() {
        let schema = schema(
            r#"{"type": "record", "name": "Line", "fields": [
            {"name": "units", "type": "int"}, {"name": "id", "type": "string"},
            {"name": "note", "type": ["null", "string"]}]}"#,
        );
        let line = Line { id: "US-1".into(), units: 1, note: None };
        let err = write_datum(&schema, &line, &mut Vec::new()).unwrap_err();
        assert_eq!(err.to_string(), "field id comes where the schema has units");
    }

    #[test]
    fn a_symbol_the_enum_lacks_is_refused_by_name() {
        #[derive(Serialize)]
        enum Mode {
            #[serde(rename = "DRONE")]
            Drone,
        }
        let schema = schema(r#"{"type": "enum", "name": "Mode", "symbols": ["AIR"]}"#);
        let err = write_datum(&schema, &Mode::Drone, &mut Vec::new()).unwrap_err();
        assert_eq!(err.to_string(), "DRONE is not a symbol of enum Mode");
    }

    #[test]
    fn longs_take_the_same_bytes_as_apache_avros() {
        for value in [0, 1, -1, 63, -64, 64, -65, 8191, 1 << 40, i64::MAX, i64::MIN] {
            let mut ours = Vec::new();
            write_datum(&Schema::Long, &value, &mut ours).unwrap();
            let theirs =
                apache_avro::to_avro_datum(&Schema::Long, apache_avro::types::Value::Long(value));
            assert_eq!(ours, theirs.unwrap(), "{value}");
        }
    }

    #[test]
    fn an_int_out_of_range_is_refused() {
        let err = write_datum(&Schema::Int, &(1_i64 << 40), &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("does not fit an Avro int"), "{err}");
    }

    #[test]
    fn shapes_outside_the_sale_schemas_are_not_covered() {
        assert!(!supports(&schema(r#"{"type": "array", "items": "int"}"#)));
        assert!(!supports(&schema(r#"["null", "int", "string"]"#)));
    }
}
