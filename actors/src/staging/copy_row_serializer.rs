//! A serde serializer that writes a struct's fields as the fields of one
//! binary COPY row, without building a JSON value first (which would cost
//! about half of the staging transaction's time: a map and a string per
//! field of every event). Nested structs give their fields, each named by
//! its own name, as in [`crate::staging::rows`]. Each field lands in the
//! slot of its column ([`Cells::slot`]), encoded for that column's type
//! ([`super::binary_fields`]); a field that is no column is kept by name.
//!
//! Leaves are read as the text a JSON value of the same field would carry:
//! text as it is, numbers as written, `true`/`false`, `None` as NULL; a
//! sequence or a map (the headers) becomes its JSON text, for a `jsonb`
//! column.

use super::binary_fields::{push_field, push_null, ColumnKind};
use serde::ser::{self, Impossible, Serialize};
use std::fmt::{Display, Write as _};

/// Where a field goes: its column's index and kind, by the field's name.
pub(crate) type ColumnOf = fn(&str) -> Option<(usize, Option<ColumnKind>)>;

/// One row's fields: their binary encodings in one buffer, a span of it per
/// column (length prefix included).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Cells {
    bytes: Vec<u8>,
    spans: Vec<Option<(usize, usize)>>,
    /// The text of the leaf being written, reused from one leaf to the next.
    scratch: String,
    /// Fields that are no column.
    pub(crate) others: Vec<String>,
}

impl Cells {
    /// Cells for a table of `n` columns, none written yet.
    pub(crate) fn with_columns(n: usize) -> Self {
        Cells {
            bytes: Vec::with_capacity(512),
            spans: vec![None; n],
            scratch: String::with_capacity(64),
            others: Vec::new(),
        }
    }

    /// The binary field of column `i` (length prefix included), if the row
    /// has a value for it.
    pub(crate) fn slot(&self, i: usize) -> Option<&[u8]> {
        self.spans.get(i).copied().flatten().map(|(start, end)| &self.bytes[start..end])
    }

    /// Writes the fields of `value` (a struct) into their columns;
    /// `column` gives a field's column by name.
    pub(crate) fn write<T: Serialize + ?Sized>(
        &mut self,
        value: &T,
        column: ColumnOf,
    ) -> Result<(), CellError> {
        value.serialize(Leaf { cells: self, column, name: None })
    }

    /// Encodes the scratch text (or NULL) as the field `name`, into its column.
    fn field(&mut self, name: &'static str, column: ColumnOf, null: bool) -> Result<(), CellError> {
        let Some((i, kind)) = column(name) else {
            self.others.push(name.to_owned());
            return Ok(());
        };
        let start = self.bytes.len();
        if null {
            push_null(&mut self.bytes);
        } else {
            let kind = kind.ok_or_else(|| {
                CellError(format!("column {name} has a type the binary COPY does not encode"))
            })?;
            push_field(kind, &self.scratch, &mut self.bytes)
                .map_err(|why| CellError(format!("{name}: {why}")))?;
        }
        self.spans[i] = Some((start, self.bytes.len()));
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct CellError(String);

impl ser::Error for CellError {
    fn custom<T: Display>(msg: T) -> Self {
        CellError(msg.to_string())
    }
}

/// One value: the row itself (no name), or the field `name`.
struct Leaf<'c> {
    cells: &'c mut Cells,
    column: ColumnOf,
    name: Option<&'static str>,
}

impl Leaf<'_> {
    /// Writes a scalar field from its text, written by `write`.
    fn cell(self, write: impl FnOnce(&mut String)) -> Result<(), CellError> {
        let Some(name) = self.name else {
            return Err(CellError("a row must be a struct".into()));
        };
        self.cells.scratch.clear();
        write(&mut self.cells.scratch);
        self.cells.field(name, self.column, false)
    }

    fn display(self, value: impl Display) -> Result<(), CellError> {
        self.cell(|text| write!(text, "{value}").expect("writing to a String"))
    }

    /// A sequence or a map: its JSON text, gathered through serde_json.
    fn json(self, value: serde_json::Value) -> Result<(), CellError> {
        self.cell(|text| write!(text, "{value}").expect("writing to a String"))
    }
}

macro_rules! display_cells {
    ($($method:ident: $ty:ty),*) => {
        $(fn $method(self, v: $ty) -> Result<(), CellError> { self.display(v) })*
    };
}

impl<'c> ser::Serializer for Leaf<'c> {
    type Ok = ();
    type Error = CellError;
    type SerializeSeq = JsonSeq<'c>;
    type SerializeTuple = Impossible<(), CellError>;
    type SerializeTupleStruct = Impossible<(), CellError>;
    type SerializeTupleVariant = Impossible<(), CellError>;
    type SerializeMap = JsonMap<'c>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), CellError>;

    display_cells!(serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64,
        serialize_f32: f32, serialize_f64: f64);

    fn serialize_bool(self, v: bool) -> Result<(), CellError> {
        self.cell(|text| text.push_str(if v { "true" } else { "false" }))
    }

    fn serialize_char(self, v: char) -> Result<(), CellError> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, v: &str) -> Result<(), CellError> {
        self.cell(|text| text.push_str(v))
    }

    fn collect_str<T: Display + ?Sized>(self, value: &T) -> Result<(), CellError> {
        self.display(value)
    }

    fn serialize_bytes(self, _: &[u8]) -> Result<(), CellError> {
        Err(CellError(format!("{}: bytes have no column type here", self.name.unwrap_or("row"))))
    }

    fn serialize_none(self) -> Result<(), CellError> {
        let Some(name) = self.name else {
            return Err(CellError("a row must be a struct".into()));
        };
        self.cells.field(name, self.column, true)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), CellError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), CellError> {
        self.serialize_none()
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), CellError> {
        self.serialize_none()
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        v: &'static str,
    ) -> Result<(), CellError> {
        self.serialize_str(v)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), CellError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        value: &T,
    ) -> Result<(), CellError> {
        self.json(to_json(value)?)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<JsonSeq<'c>, CellError> {
        Ok(JsonSeq { leaf: self, items: Vec::with_capacity(len.unwrap_or(0)) })
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, CellError> {
        Err(CellError("tuples have no column".into()))
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, CellError> {
        Err(CellError("tuple structs have no column".into()))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, CellError> {
        Err(CellError("tuple variants have no column".into()))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<JsonMap<'c>, CellError> {
        Ok(JsonMap { leaf: self, map: serde_json::Map::new(), key: None })
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, CellError> {
        Ok(self)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, CellError> {
        Err(CellError("struct variants have no column".into()))
    }
}

/// A struct: each field is a leaf named by the field (nested ones flatten).
impl ser::SerializeStruct for Leaf<'_> {
    type Ok = ();
    type Error = CellError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), CellError> {
        value.serialize(Leaf { cells: self.cells, column: self.column, name: Some(name) })
    }

    fn end(self) -> Result<(), CellError> {
        Ok(())
    }
}

fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<serde_json::Value, CellError> {
    serde_json::to_value(value).map_err(|e| CellError(e.to_string()))
}

pub(crate) struct JsonSeq<'c> {
    leaf: Leaf<'c>,
    items: Vec<serde_json::Value>,
}

impl ser::SerializeSeq for JsonSeq<'_> {
    type Ok = ();
    type Error = CellError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CellError> {
        self.items.push(to_json(value)?);
        Ok(())
    }

    fn end(self) -> Result<(), CellError> {
        self.leaf.json(serde_json::Value::Array(self.items))
    }
}

pub(crate) struct JsonMap<'c> {
    leaf: Leaf<'c>,
    map: serde_json::Map<String, serde_json::Value>,
    key: Option<String>,
}

impl ser::SerializeMap for JsonMap<'_> {
    type Ok = ();
    type Error = CellError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), CellError> {
        match to_json(key)? {
            serde_json::Value::String(key) => self.key = Some(key),
            other => self.key = Some(other.to_string()),
        }
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CellError> {
        let key = self.key.take().ok_or_else(|| CellError("a map value without a key".into()))?;
        self.map.insert(key, to_json(value)?);
        Ok(())
    }

    fn end(self) -> Result<(), CellError> {
        self.leaf.json(serde_json::Value::Object(self.map))
    }
}
