//! The correction made to schemas before they are compared: logical types
//! are annotations, and resolution works on the type they annotate (Avro's
//! Java checker, which Confluent uses, ignores them too). A change of
//! decimal precision or scale is therefore not flagged here.

use serde_json::Value;

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
