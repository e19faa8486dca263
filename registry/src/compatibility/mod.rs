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
//!   stripped before checking (apache-avro already treats `uuid`/`string`
//!   and `date`/`int` that way). Changes of decimal precision and scale are
//!   then checked by [`decimals`], more strictly than Confluent: a change
//!   that would lose or misread a value is refused, naming the field;
//! - **enum defaults**: it refuses a writer enum symbol the reader lacks even
//!   when the reader's enum declares a default, which the Avro specification
//!   (1.9+) and Confluent resolve to that default.

mod corrections;
mod decimals;
#[cfg(test)]
mod tests;

use apache_avro::error::CompatibilityError;
use apache_avro::schema_compatibility::SchemaCompatibility;
use apache_avro::{Error as AvroError, Schema};
use corrections::{explain, remove_field, strip_logical_types, widen_defaulted_enums};
use decimals::Reader;
use serde_json::Value;
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
        matches!(
            self,
            Self::Backward | Self::BackwardTransitive | Self::Full | Self::FullTransitive
        )
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
            .ok_or_else(|| {
                format!(
                    "Invalid compatibility level: {raw}. Valid values are {}",
                    Self::ALL.map(|l| l.as_str()).join(", ")
                )
            })
    }
}

/// A registered version, as the checks need it.
pub struct Version<'a> {
    pub number: i32,
    pub text: &'a str,
}

/// Why `candidate` may not follow `history` (oldest first) under `level`;
/// empty when it may.
pub fn incompatibilities(
    level: CompatibilityLevel,
    candidate: &str,
    history: &[Version<'_>],
) -> Vec<String> {
    let in_scope: &[Version<'_>] = match (level.is_transitive(), history.split_last()) {
        (_, None) => &[],
        (true, Some(_)) => history,
        (false, Some((latest, _))) => std::slice::from_ref(latest),
    };
    let mut reasons = Vec::new();
    for old in in_scope.iter().rev() {
        if level.checks_backward() {
            if let Err(why) = can_read_decimals_too(old.text, candidate, Reader::Rescales) {
                reasons.push(format!(
                    "{level}: the new schema cannot read data written with version {}: {why}",
                    old.number
                ));
            }
        }
        if level.checks_forward() {
            if let Err(why) = can_read_decimals_too(candidate, old.text, Reader::AsIs) {
                reasons.push(format!(
                    "{level}: version {} cannot read data written with the new schema: {why}",
                    old.number
                ));
            }
        }
    }
    reasons
}

/// [`can_read`], plus the decimal rules of [`decimals`] for a reader that
/// does or does not rescale.
fn can_read_decimals_too(writer: &str, reader: &str, kind: Reader) -> Result<(), String> {
    let mut reasons: Vec<String> = can_read(writer, reader).err().into_iter().collect();
    reasons.extend(decimals::refusals(writer, reader, kind));
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(reasons.join("; "))
    }
}

/// Whether data written with `writer` can be read with `reader`, and if not,
/// every reason, one per field (joined by "; ").
pub fn can_read(writer: &str, reader: &str) -> Result<(), String> {
    let mut writer_json: Value =
        serde_json::from_str(writer).map_err(|e| format!("the schema is not JSON: {e}"))?;
    let mut reader_json: Value =
        serde_json::from_str(reader).map_err(|e| format!("the schema is not JSON: {e}"))?;
    strip_logical_types(&mut writer_json);
    strip_logical_types(&mut reader_json);
    widen_defaulted_enums(&writer_json, &mut reader_json);
    let writer_schema = parse(&writer_json)?;
    let mut reasons = Vec::new();
    // apache-avro stops at the first problem: set each offending field aside
    // and ask again, so that the user sees every field at once.
    for _ in 0..64 {
        let Err(error) = SchemaCompatibility::can_read(&writer_schema, &parse(&reader_json)?)
        else {
            break;
        };
        reasons.push(explain(&error, &writer_json, &reader_json));
        let culprit = match &error {
            CompatibilityError::FieldTypeMismatch(field, _)
            | CompatibilityError::MissingDefaultValue(field) => field.clone(),
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
