//! The logical-typed nodes of a schema, by the path of record field names
//! that leads to each: what the decimal and the time rules compare between
//! a writer and a reader.

use serde_json::{Map, Value};

/// Every node of `schema` that `pick` recognises, keyed by the dotted path
/// of record field names that leads to it (`sales`, `line.shipped_at`; the
/// empty path for the schema itself). A node `pick` recognises is not
/// searched further.
pub(super) fn logical_nodes<T>(
    schema: &Value,
    pick: &impl Fn(&Map<String, Value>) -> Option<T>,
) -> Vec<(String, T)> {
    let mut found = Vec::new();
    collect(schema, "", pick, &mut found);
    found
}

fn collect<T>(
    schema: &Value,
    path: &str,
    pick: &impl Fn(&Map<String, Value>) -> Option<T>,
    into: &mut Vec<(String, T)>,
) {
    match schema {
        Value::Array(branches) => branches.iter().for_each(|b| collect(b, path, pick, into)),
        Value::Object(map) => {
            if let Some(node) = pick(map) {
                into.push((path.to_owned(), node));
                return;
            }
            if let Some(Value::Array(fields)) = map.get("fields") {
                for field in fields {
                    let (Some(name), Some(kind)) =
                        (field.get("name").and_then(Value::as_str), field.get("type"))
                    else {
                        continue;
                    };
                    let nested =
                        if path.is_empty() { name.to_owned() } else { format!("{path}.{name}") };
                    collect(kind, &nested, pick, into);
                }
            }
            for key in ["type", "items", "values"] {
                if let Some(inner @ (Value::Object(_) | Value::Array(_))) = map.get(key) {
                    collect(inner, path, pick, into);
                }
            }
        }
        _ => {}
    }
}
