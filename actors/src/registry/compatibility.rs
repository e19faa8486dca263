//! Schema compatibility, with Confluent's levels and meanings:
//!
//! - BACKWARD: the new schema can read data written with the latest one;
//! - FORWARD: the latest schema can read data written with the new one;
//! - FULL: both;
//! - the `_TRANSITIVE` forms check against every live earlier version, not
//!   only the latest; NONE checks nothing.
//!
//! The reader/writer check itself is apache-avro's `SchemaCompatibility`,
//! run on corrected inputs, because apache-avro 0.21 gets two things wrong:
//!
//! - **decimals**: it answers "Inconclusive" for any `decimal` field, so a
//!   schema holding one is not even compatible with itself. Logical types
//!   are annotations and resolution works on the underlying type, as in
//!   Avro's Java checker that Confluent uses, so every logical type is
//!   stripped before checking (a change of decimal precision or scale is
//!   therefore not flagged, as in Confluent; apache-avro already treats
//!   `uuid`/`string` and `date`/`int` that way);
//! - **enum defaults**: it refuses a writer enum symbol the reader lacks even
//!   when the reader's enum declares a default, which the Avro specification
//!   (1.9+) and Confluent resolve to that default.

use apache_avro::error::CompatibilityError;
use apache_avro::schema_compatibility::SchemaCompatibility;
use apache_avro::{Error as AvroError, Schema};
use serde_json::Value;
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompatibilityLevel {
    None,
    Backward,
    BackwardTransitive,
    Forward,
    ForwardTransitive,
    Full,
    FullTransitive,
}

impl CompatibilityLevel {
    pub const ALL: [CompatibilityLevel; 7] = [
        CompatibilityLevel::None,
        CompatibilityLevel::Backward,
        CompatibilityLevel::BackwardTransitive,
        CompatibilityLevel::Forward,
        CompatibilityLevel::ForwardTransitive,
        CompatibilityLevel::Full,
        CompatibilityLevel::FullTransitive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CompatibilityLevel::None => "NONE",
            CompatibilityLevel::Backward => "BACKWARD",
            CompatibilityLevel::BackwardTransitive => "BACKWARD_TRANSITIVE",
            CompatibilityLevel::Forward => "FORWARD",
            CompatibilityLevel::ForwardTransitive => "FORWARD_TRANSITIVE",
            CompatibilityLevel::Full => "FULL",
            CompatibilityLevel::FullTransitive => "FULL_TRANSITIVE",
        }
    }

    fn checks_backward(self) -> bool {
        matches!(self, Self::Backward | Self::BackwardTransitive | Self::Full | Self::FullTransitive)
    }

    fn checks_forward(self) -> bool {
        matches!(self, Self::Forward | Self::ForwardTransitive | Self::Full | Self::FullTransitive)
    }

    fn is_transitive(self) -> bool {
        matches!(self, Self::BackwardTransitive | Self::ForwardTransitive | Self::FullTransitive)
    }
}

impl fmt::Display for CompatibilityLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CompatibilityLevel {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|level| level.as_str().eq_ignore_ascii_case(raw.trim()))
            .ok_or_else(|| format!("Invalid compatibility level: {raw}. Valid values are {}", Self::ALL.map(|l| l.as_str()).join(", ")))
    }
}

/// A registered version, as the checks need it.
pub struct Version<'a> {
    pub number: i32,
    pub text: &'a str,
}

/// Why `candidate` may not follow `history` (oldest first) under `level`;
/// empty when it may.
pub fn incompatibilities(level: CompatibilityLevel, candidate: &str, history: &[Version<'_>]) -> Vec<String> {
    let in_scope: &[Version<'_>] = match (level.is_transitive(), history.split_last()) {
        (_, None) => &[],
        (true, Some(_)) => history,
        (false, Some((latest, _))) => std::slice::from_ref(latest),
    };
    let mut reasons = Vec::new();
    for old in in_scope.iter().rev() {
        if level.checks_backward() {
            if let Err(why) = can_read(old.text, candidate) {
                reasons.push(format!(
                    "{level}: the new schema cannot read data written with version {}: {why}",
                    old.number
                ));
            }
        }
        if level.checks_forward() {
            if let Err(why) = can_read(candidate, old.text) {
                reasons.push(format!(
                    "{level}: version {} cannot read data written with the new schema: {why}",
                    old.number
                ));
            }
        }
    }
    reasons
}

/// Whether data written with `writer` can be read with `reader`, and if not,
/// every reason, one per field (joined by "; ").
pub fn can_read(writer: &str, reader: &str) -> Result<(), String> {
    let mut writer_json: Value = serde_json::from_str(writer).map_err(|e| format!("the schema is not JSON: {e}"))?;
    let mut reader_json: Value = serde_json::from_str(reader).map_err(|e| format!("the schema is not JSON: {e}"))?;
    strip_logical_types(&mut writer_json);
    strip_logical_types(&mut reader_json);
    widen_defaulted_enums(&writer_json, &mut reader_json);
    let writer_schema = parse(&writer_json)?;
    let mut reasons = Vec::new();
    // apache-avro stops at the first problem: set each offending field aside
    // and ask again, so that the user sees every field at once.
    for _ in 0..64 {
        let Err(error) = SchemaCompatibility::can_read(&writer_schema, &parse(&reader_json)?) else { break };
        reasons.push(explain(&error, &writer_json, &reader_json));
        let culprit = match &error {
            CompatibilityError::FieldTypeMismatch(field, _) | CompatibilityError::MissingDefaultValue(field) => field.clone(),
            _ => break,
        };
        if !remove_field(&mut reader_json, &culprit) {
            break;
        }
    }
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(reasons.join("; "))
    }
}

fn parse(json: &Value) -> Result<Schema, String> {
    Schema::parse(json).map_err(|e: AvroError| format!("the schema does not parse: {e}"))
}

/// Replaces every logical type by its underlying type.
fn strip_logical_types(node: &mut Value) {
    match node {
        Value::Object(map) => {
            if map.remove("logicalType").is_some() {
                map.remove("precision");
                map.remove("scale");
                if map.len() == 1 {
                    if let Some(Value::String(primitive)) = map.get("type") {
                        *node = Value::String(primitive.clone());
                        return;
                    }
                }
            }
            map.values_mut().for_each(strip_logical_types);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_logical_types),
        _ => {}
    }
}

/// apache-avro's error, said in terms of fields and changes.
fn explain(error: &CompatibilityError, writer: &Value, reader: &Value) -> String {
    use CompatibilityError as E;
    match error {
        E::MissingDefaultValue(field) => {
            format!("field '{field}' is missing from the written data and has no default in the reader (add a default, or keep the field)")
        }
        E::FieldTypeMismatch(field, inner) => match (field_type(writer, field), field_type(reader, field)) {
            (Some(was), Some(now)) if was != now => {
                format!("field '{field}' changed type from {was} to {now}, which Avro cannot resolve ({})", explain(inner, writer, reader))
            }
            _ => format!("field '{field}' changed in a way the reader cannot resolve: {}", explain(inner, writer, reader)),
        },
        E::MissingSymbols => "an enum lost symbols that written data may hold, and the reader's enum has no default".to_owned(),
        E::WrongType { writer_schema_type, reader_schema_type } => {
            format!("type changed from {writer_schema_type} to {reader_schema_type}, which is not a permitted promotion")
        }
        E::NameMismatch { writer_name, reader_name } => {
            format!("named type renamed from {writer_name} to {reader_name} (use an alias)")
        }
        other => other.to_string(),
    }
}

/// The type of the first field called `name`, rendered short (`int`,
/// `enum Color`, `union [null, string]`).
fn field_type(schema: &Value, name: &str) -> Option<String> {
    fn render(t: &Value) -> String {
        match t {
            Value::String(s) => s.clone(),
            Value::Array(items) => format!("union [{}]", items.iter().map(render).collect::<Vec<_>>().join(", ")),
            Value::Object(map) => match (map.get("type").and_then(Value::as_str), map.get("name").and_then(Value::as_str)) {
                (Some(kind), Some(named)) => format!("{kind} {named}"),
                (Some(kind), None) => kind.to_owned(),
                _ => t.to_string(),
            },
            other => other.to_string(),
        }
    }
    match schema {
        Value::Object(map) => {
            if let Some(Value::Array(fields)) = map.get("fields") {
                if let Some(field) = fields.iter().find(|f| f.get("name").and_then(Value::as_str) == Some(name)) {
                    return field.get("type").map(render);
                }
            }
            map.values().find_map(|v| field_type(v, name))
        }
        Value::Array(items) => items.iter().find_map(|v| field_type(v, name)),
        _ => None,
    }
}

/// Removes the first field called `name` from a record of `schema`.
fn remove_field(schema: &mut Value, name: &str) -> bool {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Array(fields)) = map.get_mut("fields") {
                if let Some(at) = fields.iter().position(|f| f.get("name").and_then(Value::as_str) == Some(name)) {
                    fields.remove(at);
                    return true;
                }
            }
            map.values_mut().any(|v| remove_field(v, name))
        }
        Value::Array(items) => items.iter_mut().any(|v| remove_field(v, name)),
        _ => false,
    }
}

/// Extends every reader enum that declares a default with the symbols the
/// writer's enum of the same name has: reading them yields the default.
fn widen_defaulted_enums(writer: &Value, reader: &mut Value) {
    let mut writer_enums = HashMap::new();
    collect_enums(writer, &mut writer_enums);
    let mut changed = false;
    widen(reader, &writer_enums, &mut changed);
}

fn collect_enums(node: &Value, into: &mut HashMap<String, Vec<Value>>) {
    match node {
        Value::Object(map) => {
            if map.get("type").and_then(Value::as_str) == Some("enum") {
                if let (Some(name), Some(Value::Array(symbols))) = (map.get("name").and_then(Value::as_str), map.get("symbols")) {
                    into.insert(name.to_owned(), symbols.clone());
                }
            }
            map.values().for_each(|v| collect_enums(v, into));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_enums(v, into)),
        _ => {}
    }
}

fn widen(node: &mut Value, writer_enums: &HashMap<String, Vec<Value>>, changed: &mut bool) {
    match node {
        Value::Object(map) => {
            let is_defaulted_enum = map.get("type").and_then(Value::as_str) == Some("enum") && map.contains_key("default");
            if is_defaulted_enum {
                let name = map.get("name").and_then(Value::as_str).map(str::to_owned);
                if let (Some(extra), Some(Value::Array(symbols))) = (name.and_then(|n| writer_enums.get(&n)), map.get_mut("symbols")) {
                    for symbol in extra {
                        if !symbols.contains(symbol) {
                            symbols.push(symbol.clone());
                            *changed = true;
                        }
                    }
                }
            }
            map.values_mut().for_each(|v| widen(v, writer_enums, changed));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| widen(v, writer_enums, changed)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CompatibilityLevel::*;

    fn record(fields: &str) -> String {
        format!(r#"{{"type": "record", "name": "R", "fields": [{fields}]}}"#)
    }

    fn verdict(level: CompatibilityLevel, old: &str, new: &str) -> bool {
        incompatibilities(level, new, &[Version { number: 1, text: old }]).is_empty()
    }

    #[test]
    fn reasons_name_the_field_and_the_version() {
        let old = record(r#"{"name": "id", "type": "string"}"#);
        let new = record(r#"{"name": "id", "type": "string"}, {"name": "x", "type": "string"}"#);
        let reasons = incompatibilities(Backward, &new, &[Version { number: 3, text: &old }]);
        assert_eq!(reasons.len(), 1);
        assert!(reasons[0].contains("field 'x'") && reasons[0].contains("version 3") && reasons[0].contains("no default"), "{}", reasons[0]);
    }

    #[test]
    fn transitive_levels_check_every_version_and_plain_ones_only_the_latest() {
        // v1 has `x` without default; v2 gives it a default; v3 drops it.
        let v1 = record(r#"{"name": "id", "type": "string"}, {"name": "x", "type": "string"}"#);
        let v2 = record(r#"{"name": "id", "type": "string"}, {"name": "x", "type": "string", "default": "?"}"#);
        let v3 = record(r#"{"name": "id", "type": "string"}"#);
        let history = [Version { number: 1, text: &v1 }, Version { number: 2, text: &v2 }];
        assert!(incompatibilities(Forward, &v3, &history).is_empty(), "v2 reads v3 data with its default");
        let transitive = incompatibilities(ForwardTransitive, &v3, &history);
        assert_eq!(transitive.len(), 1);
        assert!(transitive[0].contains("version 1"), "{}", transitive[0]);
    }

    #[test]
    fn a_reader_enum_with_a_default_accepts_new_symbols_where_apache_avro_alone_does_not() {
        let old = record(r#"{"name": "pay", "type": {"type": "enum", "name": "Pay", "symbols": ["CASH", "UNKNOWN"], "default": "UNKNOWN"}}"#);
        let new = record(r#"{"name": "pay", "type": {"type": "enum", "name": "Pay", "symbols": ["CASH", "CRYPTO", "UNKNOWN"], "default": "UNKNOWN"}}"#);
        let uncorrected = SchemaCompatibility::can_read(&Schema::parse_str(&new).unwrap(), &Schema::parse_str(&old).unwrap());
        assert!(uncorrected.is_err(), "apache-avro now honours enum defaults: drop the correction");
        assert!(verdict(Forward, &old, &new), "the old reader maps CRYPTO to its default");
        assert!(verdict(Full, &old, &new));
    }

    #[test]
    fn decimals_and_other_logical_types_resolve_by_their_underlying_type() {
        let money = r#"{"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2}}"#;
        let with_decimal = record(money);
        let raw = Schema::parse_str(&with_decimal).unwrap();
        assert!(
            SchemaCompatibility::can_read(&raw, &raw).is_err(),
            "apache-avro now handles decimals: drop the logical-type correction"
        );
        assert!(verdict(FullTransitive, &with_decimal, &with_decimal), "a schema is compatible with itself");

        let as_string = record(r#"{"name": "id", "type": "string"}"#);
        let as_uuid = record(r#"{"name": "id", "type": {"type": "string", "logicalType": "uuid"}}"#);
        assert!(verdict(Full, &as_string, &as_uuid), "uuid annotates a string");
        let as_int = record(r#"{"name": "day", "type": "int"}"#);
        let as_date = record(r#"{"name": "day", "type": {"type": "int", "logicalType": "date"}}"#);
        assert!(verdict(Full, &as_int, &as_date), "date annotates an int");
        let as_long = record(r#"{"name": "day", "type": "long"}"#);
        assert!(verdict(Backward, &as_date, &as_long) && !verdict(Forward, &as_date, &as_long), "int to long still only widens");
    }

    #[test]
    fn the_released_sale_schemas_evolve_compatibly_and_the_example_does_not() {
        let v1 = superstore_domain::SALE_SCHEMA_V1;
        let v2 = superstore_domain::SALE_SCHEMA_V2;
        let broken = include_str!("../../../schemas/examples/sale_quantity_as_string.avsc");
        assert!(verdict(FullTransitive, v1, v2), "v2 only adds fields with defaults");
        let reasons = incompatibilities(Backward, broken, &[Version { number: 2, text: v2 }]);
        assert!(reasons.iter().any(|r| r.contains("'quantity'")), "{reasons:?}");
        let reasons = incompatibilities(Forward, broken, &[Version { number: 2, text: v2 }]);
        assert!(reasons.iter().any(|r| r.contains("'quantity'")), "{reasons:?}");
    }

    #[test]
    fn every_offending_field_is_reported_at_once() {
        let old = record(r#"{"name": "a", "type": "string"}, {"name": "b", "type": "int"}"#);
        let new = record(r#"{"name": "a", "type": "int"}, {"name": "b", "type": "string"}, {"name": "c", "type": "long"}"#);
        let reasons = incompatibilities(Backward, &new, &[Version { number: 1, text: &old }]);
        assert_eq!(reasons.len(), 1, "one version, one line");
        for field in ["'a' changed type from string to int", "'b' changed type from int to string", "'c' is missing"] {
            assert!(reasons[0].contains(field), "{field} in {}", reasons[0]);
        }
    }

    #[test]
    fn levels_parse_case_insensitively_and_refuse_anything_else() {
        assert_eq!("full_transitive".parse::<CompatibilityLevel>(), Ok(FullTransitive));
        assert!("SIDEWAYS".parse::<CompatibilityLevel>().unwrap_err().contains("BACKWARD_TRANSITIVE"));
    }
}
