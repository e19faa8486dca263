//! The corrections made to schemas before apache-avro 0.21 compares them
//! (see the module above for why), and the reading of its errors as
//! sentences about fields.

use apache_avro::error::CompatibilityError;
use serde_json::Value;
use std::collections::HashMap;

/// Replaces every logical type by its underlying type.
pub(super) fn strip_logical_types(node: &mut Value) {
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
pub(super) fn explain(error: &CompatibilityError, writer: &Value, reader: &Value) -> String {
    use CompatibilityError as E;
    match error {
        E::MissingDefaultValue(field) => {
            format!(
                "field '{field}' is missing from the written data and has no default in the \
                 reader (add a default, or keep the field)"
            )
        }
        E::FieldTypeMismatch(field, inner) => {
            match (field_type(writer, field), field_type(reader, field)) {
                (Some(was), Some(now)) if was != now => {
                    let why = explain(inner, writer, reader);
                    format!(
                        "field '{field}' changed type from {was} to {now}, \
                         which Avro cannot resolve ({why})"
                    )
                }
                _ => format!(
                    "field '{field}' changed in a way the reader cannot resolve: {}",
                    explain(inner, writer, reader)
                ),
            }
        }
        E::MissingSymbols => {
            "an enum lost symbols that written data may hold, and the reader's enum has no default"
                .to_owned()
        }
        E::WrongType { writer_schema_type, reader_schema_type } => {
            format!(
                "type changed from {writer_schema_type} to {reader_schema_type}, \
                 which is not a permitted promotion"
            )
        }
        E::NameMismatch { writer_name, reader_name } => {
            format!("named type renamed from {writer_name} to {reader_name} (use an alias)")
        }
        other => other.to_string(),
    }
}

/// The type of the first field called `name`, rendered short (`int`,
/// `enum Color`, `union [null, string]`).
pub(super) fn field_type(schema: &Value, name: &str) -> Option<String> {
    fn render(t: &Value) -> String {
        match t {
            Value::String(s) => s.clone(),
            Value::Array(items) => {
                format!("union [{}]", items.iter().map(render).collect::<Vec<_>>().join(", "))
            }
            Value::Object(map) => match (
                map.get("type").and_then(Value::as_str),
                map.get("name").and_then(Value::as_str),
            ) {
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
                if let Some(field) =
                    fields.iter().find(|f| f.get("name").and_then(Value::as_str) == Some(name))
                {
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
pub(super) fn remove_field(schema: &mut Value, name: &str) -> bool {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Array(fields)) = map.get_mut("fields") {
                if let Some(at) =
                    fields.iter().position(|f| f.get("name").and_then(Value::as_str) == Some(name))
                {
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
pub(super) fn widen_defaulted_enums(writer: &Value, reader: &mut Value) {
    let mut writer_enums = HashMap::new();
    collect_enums(writer, &mut writer_enums);
    widen(reader, &writer_enums);
}

fn collect_enums(node: &Value, into: &mut HashMap<String, Vec<Value>>) {
    match node {
        Value::Object(map) => {
            if map.get("type").and_then(Value::as_str) == Some("enum") {
                if let (Some(name), Some(Value::Array(symbols))) =
                    (map.get("name").and_then(Value::as_str), map.get("symbols"))
                {
                    into.insert(name.to_owned(), symbols.clone());
                }
            }
            map.values().for_each(|v| collect_enums(v, into));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_enums(v, into)),
        _ => {}
    }
}

fn widen(node: &mut Value, writer_enums: &HashMap<String, Vec<Value>>) {
    match node {
        Value::Object(map) => {
            let is_defaulted_enum = map.get("type").and_then(Value::as_str) == Some("enum")
                && map.contains_key("default");
            if is_defaulted_enum {
                let name = map.get("name").and_then(Value::as_str).map(str::to_owned);
                if let (Some(extra), Some(Value::Array(symbols))) =
                    (name.and_then(|n| writer_enums.get(&n)), map.get_mut("symbols"))
                {
                    for symbol in extra {
                        if !symbols.contains(symbol) {
                            symbols.push(symbol.clone());
                        }
                    }
                }
            }
            map.values_mut().for_each(|v| widen(v, writer_enums));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| widen(v, writer_enums)),
        _ => {}
    }
}
