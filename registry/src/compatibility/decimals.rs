//! Decimal changes, checked more strictly than Confluent, on purpose.
//!
//! Avro's resolution rules, and Confluent's checker after them, treat a
//! `decimal` as the `bytes` (or `fixed`) under it, so any change of precision
//! or scale passes. But a decimal's scale lives in the schema, not in the
//! bytes: data written as `261.96` at scale 2 is the integer 26196, which a
//! reader at scale 4 that does not rescale reads as `2.6196`. So a field's
//! decimal may change only in ways that keep every value:
//!
//! - the reader's scale is not narrower than the writer's (a narrower one
//!   rounds or misreads values with more decimals);
//! - the reader's precision is not smaller, and it keeps at least as many
//!   digits before the point (precision − scale), so every value still fits;
//! - the scale changes at all only where the reader rescales. Under BACKWARD
//!   the reader is the new schema, which consumers adopt before producers
//!   (this project's decoder decodes with the writer's scale, then
//!   rescales); under FORWARD the reader is an older schema, in consumers
//!   already deployed, which cannot be assumed to rescale.
//!
//! Each refusal names the field and both decimals. Widening `decimal(12, 2)`
//! to `decimal(16, 4)` is therefore accepted under BACKWARD and refused under
//! FORWARD and FULL.

use super::field_paths::logical_nodes;
use serde_json::Value;

/// Whether the reader of a checked pair rescales older decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reader {
    /// The new schema, read by consumers upgraded first: it rescales.
    Rescales,
    /// An older schema, in consumers already deployed: it may not.
    AsIs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DecimalType {
    precision: u64,
    scale: u64,
}

impl DecimalType {
    fn integer_digits(self) -> i128 {
        i128::from(self.precision) - i128::from(self.scale)
    }
}

impl std::fmt::Display for DecimalType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "decimal({}, {})", self.precision, self.scale)
    }
}

/// Why data written with `writer` would lose or misread decimals when read
/// with `reader`: one sentence per field. Schemas that are not JSON give
/// none (the main check reports them).
pub(super) fn refusals(writer: &str, reader: &str, reader_kind: Reader) -> Vec<String> {
    let (Ok(writer), Ok(reader)) =
        (serde_json::from_str::<Value>(writer), serde_json::from_str::<Value>(reader))
    else {
        return Vec::new();
    };
    let (written, read) = (decimals(&writer), decimals(&reader));
    written
        .iter()
        .filter_map(|(path, was)| {
            let (_, now) = read.iter().find(|(p, _)| p == path)?;
            refusal(path, *was, *now, reader_kind)
        })
        .collect()
}

fn refusal(field: &str, was: DecimalType, now: DecimalType, reader: Reader) -> Option<String> {
    let mut problems = Vec::new();
    if now.scale < was.scale {
        problems.push(format!(
            "its scale narrows from {} to {}: values with more decimals would be rounded \
             or misread",
            was.scale, now.scale
        ));
    } else if now.scale != was.scale && reader == Reader::AsIs {
        problems.push(format!(
            "its scale changes from {} to {} and the reader is an older schema, which \
             need not rescale: it would read the unscaled digits at its own scale",
            was.scale, now.scale
        ));
    }
    if now.precision < was.precision {
        problems.push(format!(
            "its precision shrinks from {} to {}: larger values would not fit",
            was.precision, now.precision
        ));
    } else if now.integer_digits() < was.integer_digits() {
        problems.push(format!(
            "its digits before the point shrink from {} to {}: larger values would not fit",
            was.integer_digits(),
            now.integer_digits()
        ));
    }
    (!problems.is_empty())
        .then(|| format!("field '{field}' changed from {was} to {now}: {}", problems.join("; ")))
}

/// Every decimal reachable in `schema`, by field path (`sales`, `line.price`).
fn decimals(schema: &Value) -> Vec<(String, DecimalType)> {
    logical_nodes(schema, &|node| {
        (node.get("logicalType").and_then(Value::as_str) == Some("decimal")).then(|| {
            let precision = node.get("precision").and_then(Value::as_u64).unwrap_or(0);
            let scale = node.get("scale").and_then(Value::as_u64).unwrap_or(0);
            DecimalType { precision, scale }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::super::{incompatibilities, CompatibilityLevel, Version};
    use CompatibilityLevel::*;

    fn with_amount(precision: u32, scale: u32) -> String {
        format!(
            r#"{{"type": "record", "name": "R", "fields": [{{"name": "amount", "type":
                {{"type": "bytes", "logicalType": "decimal", "precision": {precision},
                  "scale": {scale}}}}}]}}"#
        )
    }

    fn reasons(level: CompatibilityLevel, old: &str, new: &str) -> String {
        incompatibilities(level, new, &[Version { number: 1, text: old }]).join("\n")
    }

    /// (change, old, new, level, what the refusal says), one per refused case.
    fn refused_changes() -> Vec<(&'static str, String, String, CompatibilityLevel, &'static str)> {
        vec![
            (
                "a narrower scale",
                with_amount(16, 4),
                with_amount(16, 2),
                Backward,
                "its scale narrows from 4 to 2",
            ),
            (
                "a smaller precision",
                with_amount(12, 2),
                with_amount(10, 2),
                Backward,
                "its precision shrinks from 12 to 10",
            ),
            (
                "fewer digits before the point",
                with_amount(12, 2),
                with_amount(13, 4),
                Backward,
                "its digits before the point shrink from 10 to 9",
            ),
            (
                "a wider scale read by an older reader, which does not rescale",
                with_amount(16, 4),
                with_amount(14, 2),
                Forward,
                "the reader is an older schema, which need not rescale",
            ),
            (
                "a wider scale written for an older reader",
                with_amount(12, 2),
                with_amount(16, 4),
                Forward,
                "its scale narrows from 4 to 2",
            ),
        ]
    }

    #[test]
    fn each_refused_decimal_change_names_the_field_and_the_problem() {
        for (change, old, new, level, said) in refused_changes() {
            let why = reasons(level, &old, &new);
            assert!(why.contains("field 'amount'"), "{change}: {why}");
            assert!(why.contains(said), "{change}: {said} in {why}");
        }
    }

    #[test]
    fn confluent_alone_would_accept_every_refused_change() {
        for (change, old, new, level, _) in refused_changes() {
            let direction = match level {
                Forward => super::super::can_read(&new, &old),
                _ => super::super::can_read(&old, &new),
            };
            assert!(direction.is_ok(), "{change}: only the decimal rules refuse it");
        }
    }

    #[test]
    fn widening_is_accepted_where_the_new_reader_rescales_and_only_there() {
        let (v2, v3) = (with_amount(12, 2), with_amount(16, 4));
        assert_eq!(reasons(Backward, &v2, &v3), "");
        assert_eq!(reasons(BackwardTransitive, &v2, &v3), "");
        assert!(reasons(Full, &v2, &v3).contains("field 'amount'"));
        assert_eq!(reasons(FullTransitive, &v3, &v3), "", "an unchanged decimal");
        assert_eq!(reasons(None, &v3, &v2), "", "NONE checks nothing");
    }

    #[test]
    fn decimals_in_nested_records_and_unions_are_found_by_their_path() {
        let nested = |scale: u32| {
            format!(
                r#"{{"type": "record", "name": "R", "fields": [{{"name": "line", "type":
                    {{"type": "record", "name": "Line", "fields": [{{"name": "price",
                      "type": ["null", {{"type": "bytes", "logicalType": "decimal",
                      "precision": 10, "scale": {scale}}}], "default": null}}]}}}}]}}"#
            )
        };
        let why = reasons(Backward, &nested(4), &nested(2));
        assert!(why.contains("field 'line.price'") && why.contains("narrows"), "{why}");
        assert_eq!(reasons(Backward, &nested(2), &nested(2)), "");
    }

    #[test]
    fn the_released_sale_schemas_widen_under_backward_and_not_forward() {
        let v2 = include_str!("../../../schemas/sale/v2.avsc");
        let v3 = include_str!("../../../schemas/sale/v3.avsc");
        let v1 = include_str!("../../../schemas/sale/v1.avsc");
        let history = [Version { number: 1, text: v1 }, Version { number: 2, text: v2 }];
        assert!(incompatibilities(BackwardTransitive, v3, &history).is_empty());
        let forward = incompatibilities(Forward, v3, &history).join("\n");
        for field in ["'sales'", "'profit'", "'discount'"] {
            assert!(forward.contains(field), "{field} in {forward}");
        }
    }
}
