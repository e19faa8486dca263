//! Changes between time logical types, refused although Avro accepts them.
//!
//! Avro's resolution, and Confluent's checker after it, compares a logical
//! type by the type under it: `timestamp-millis` and `timestamp-micros` are
//! both a `long`, so a field may move from one to the other and every value
//! is then read a thousand times too early or too late. The same holds for
//! `local-timestamp-*`, for `time-millis` (an `int`, promoted to the `long`
//! of `time-micros`), for a UTC instant read as a wall-clock time
//! (`timestamp-*` and `local-timestamp-*`), and for a `date` (days) read as
//! any of them. A time's unit and kind live in the schema, not in the bytes,
//! so a field that carries one time logical type in one schema and another
//! in the other is refused, in either direction, naming the field and both
//! types. A time logical type dropped or added (a plain `long` on one side)
//! is left to Avro's rules: the reader then sees the number as written.

use super::field_paths::logical_nodes;
use serde_json::Value;

/// The logical types whose unit or kind a reader cannot tell from the bytes.
const TIME_TYPES: [&str; 9] = [
    "date",
    "time-millis",
    "time-micros",
    "timestamp-millis",
    "timestamp-micros",
    "timestamp-nanos",
    "local-timestamp-millis",
    "local-timestamp-micros",
    "local-timestamp-nanos",
];

/// Why data written with `writer` would be misread in time when read with
/// `reader`: one sentence per field. Schemas that are not JSON give none
/// (the main check reports them).
pub(super) fn refusals(writer: &Value, reader: &Value) -> Vec<String> {
    let (written, read) = (time_types(writer), time_types(reader));
    written
        .iter()
        .filter_map(|(path, was)| {
            let mut same_field = read.iter().filter(|(p, _)| p == path).peekable();
            let (_, now) = *same_field.peek()?;
            if same_field.any(|(_, kind)| kind == was) {
                return None;
            }
            let field = if path.is_empty() { "the value".to_owned() } else { format!("'{path}'") };
            Some(format!(
                "field {field} changed from {was} to {now}: a time's unit and kind live in the \
                 schema, not in the data, so every value would be misread"
            ))
        })
        .collect()
}

/// Every time logical type reachable in `schema`, by field path.
fn time_types(schema: &Value) -> Vec<(String, String)> {
    logical_nodes(schema, &|node| {
        let logical = node.get("logicalType").and_then(Value::as_str)?;
        TIME_TYPES.contains(&logical).then(|| logical.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::super::{incompatibilities, CompatibilityLevel, Version};
    use CompatibilityLevel::*;

    fn with_time(kind: &str) -> String {
        let underlying = if matches!(kind, "date" | "time-millis") { "int" } else { "long" };
        format!(
            r#"{{"type": "record", "name": "R", "fields": [{{"name": "event_time", "type":
                {{"type": "{underlying}", "logicalType": "{kind}"}}}}]}}"#
        )
    }

    fn reasons(level: CompatibilityLevel, old: &str, new: &str) -> String {
        incompatibilities(level, new, &[Version { number: 1, text: old }]).join("\n")
    }

    /// (old, new): every change refused, at every level but NONE.
    const REFUSED: [(&str, &str); 8] = [
        ("timestamp-millis", "timestamp-micros"),
        ("timestamp-micros", "timestamp-millis"),
        ("local-timestamp-millis", "local-timestamp-micros"),
        ("local-timestamp-micros", "local-timestamp-millis"),
        ("time-millis", "time-micros"),
        ("timestamp-millis", "local-timestamp-millis"),
        ("local-timestamp-micros", "timestamp-micros"),
        ("date", "timestamp-millis"),
    ];

    #[test]
    fn each_refused_time_change_names_the_field_and_both_types_at_every_level() {
        for (old, new) in REFUSED {
            for level in CompatibilityLevel::ALL.into_iter().filter(|l| *l != None) {
                let why = reasons(level, &with_time(old), &with_time(new));
                let said = "field 'event_time' changed from ";
                assert!(why.contains(said), "{old} -> {new} at {level}: {why}");
                assert!(why.contains(old) && why.contains(new), "{old} -> {new}: {why}");
            }
            assert_eq!(reasons(None, &with_time(old), &with_time(new)), "", "NONE checks nothing");
        }
    }

    #[test]
    fn an_unchanged_time_and_a_time_dropped_to_its_number_pass() {
        let millis = with_time("timestamp-millis");
        assert_eq!(reasons(FullTransitive, &millis, &millis), "");
        let plain = r#"{"type": "record", "name": "R", "fields":
            [{"name": "event_time", "type": "long"}]}"#;
        assert_eq!(reasons(Full, &millis, plain), "");
    }

    #[test]
    fn times_in_nested_records_and_unions_are_found_by_their_path() {
        let nested = |kind: &str| {
            format!(
                r#"{{"type": "record", "name": "R", "fields": [{{"name": "line", "type":
                    {{"type": "record", "name": "Line", "fields": [{{"name": "shipped_at",
                      "type": ["null", {{"type": "long", "logicalType": "{kind}"}}],
                      "default": null}}]}}}}]}}"#
            )
        };
        let why = reasons(Backward, &nested("timestamp-millis"), &nested("timestamp-micros"));
        assert!(why.contains("field 'line.shipped_at'"), "{why}");
        assert_eq!(reasons(Backward, &nested("timestamp-micros"), &nested("timestamp-micros")), "");
    }

    #[test]
    fn the_sale_schema_with_a_micros_event_time_is_refused_after_v3() {
        let v3 = include_str!("../../../schemas/sale/v3.avsc");
        let micros = v3.replace("timestamp-millis", "timestamp-micros");
        let why = reasons(Backward, v3, &micros);
        assert!(why.contains("field 'event_time' changed from timestamp-millis"), "{why}");
    }
}
