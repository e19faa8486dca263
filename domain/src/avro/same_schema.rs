//! Whether two schemas are the same, logical types included. The decoder
//! reads a datum with the reader schema itself, skipping resolution, only
//! when its writer schema is the same; Avro's Parsing Canonical Form is not
//! enough to say so, because it drops `logicalType`: a `timestamp-micros`
//! writer has the canonical form of a `timestamp-millis` reader, and its
//! instants would be read a thousand times too late. So the canonical forms
//! must match (names, fields in order, symbols, sizes, decimal precision and
//! scale) and so must the kind of every node, where the logical types live.

use apache_avro::schema::{Schema, SchemaKind};

/// Whether data written with `writer` means the same read with `reader`
/// as it is, with no resolution.
pub fn same_schema_with_logical_types(writer: &Schema, reader: &Schema) -> bool {
    writer.canonical_form() == reader.canonical_form() && kinds(writer) == kinds(reader)
}

/// The kind of every node of `schema`, depth first (a named type used again
/// is a reference, so recursive schemas end).
fn kinds(schema: &Schema) -> Vec<SchemaKind> {
    fn walk(schema: &Schema, into: &mut Vec<SchemaKind>) {
        into.push(SchemaKind::from(schema));
        match schema {
            Schema::Record(record) => record.fields.iter().for_each(|f| walk(&f.schema, into)),
            Schema::Union(union) => union.variants().iter().for_each(|v| walk(v, into)),
            Schema::Array(array) => walk(&array.items, into),
            Schema::Map(map) => walk(&map.types, into),
            _ => {}
        }
    }
    let mut into = Vec::new();
    walk(schema, &mut into);
    into
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema_latest;

    fn parse(text: &str) -> Schema {
        Schema::parse_str(text).unwrap()
    }

    #[test]
    fn a_schema_is_the_same_as_itself_and_as_its_copy_without_docs() {
        let v3 = crate::sale_schema_text(3).unwrap();
        assert!(same_schema_with_logical_types(schema_latest(), schema_latest()));
        let without_docs = v3.replace(r#""doc": "#, r#""x-note": "#);
        assert!(same_schema_with_logical_types(&parse(&without_docs), &parse(v3)));
    }

    #[test]
    fn a_time_unit_or_kind_of_its_own_makes_another_schema() {
        let v3 = crate::sale_schema_text(3).unwrap();
        for other in ["timestamp-micros", "local-timestamp-millis"] {
            let changed = parse(&v3.replace("timestamp-millis", other));
            assert_eq!(changed.canonical_form(), parse(v3).canonical_form(), "Avro's form");
            assert!(!same_schema_with_logical_types(&changed, &parse(v3)), "{other}");
        }
    }

    #[test]
    fn logical_types_inside_unions_and_arrays_count() {
        let in_union = |kind: &str| {
            parse(&format!(r#"["null", {{"type": "long", "logicalType": "{kind}"}}]"#))
        };
        let in_array = |kind: &str| {
            let item = format!(r#"{{"type": "int", "logicalType": "{kind}"}}"#);
            parse(&format!(r#"{{"type": "array", "items": {item}}}"#))
        };
        assert!(!same_schema_with_logical_types(
            &in_union("timestamp-micros"),
            &in_union("timestamp-millis")
        ));
        assert!(!same_schema_with_logical_types(&in_array("date"), &in_array("time-millis")));
        assert!(same_schema_with_logical_types(&in_array("date"), &in_array("date")));
    }
}
