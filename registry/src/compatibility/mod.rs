//! Schema compatibility, with Confluent's levels and meanings:
//!
//! - BACKWARD: the new schema can read data written with the latest one;
//! - FORWARD: the latest schema can read data written with the new one;
//! - FULL: both;
//! - the `_TRANSITIVE` forms check against every live earlier version, not
//!   only the latest; NONE checks nothing.
//!
//! The reader/writer check itself is ours ([`reader_writer`]), written to
//! give Apache Avro's verdicts (its Java checker is the one Confluent's
//! registry runs), and held to them by `registry/tests/avro_corpus.rs` on a
//! corpus of pairs. apache-avro 0.21's own checker is not used: it refuses
//! changes Avro accepts: a union written and a plain number read with
//! promotion (`reader_writer::unions`), a named type renamed with an alias ([`names`]),
//! an enum whose reader declares a default for symbols it lacks, and any
//! `decimal` at all. Logical types are stripped to their underlying type
//! before checking, as Avro's checker ignores them ([`corrections`]).
//!
//! Decimals are one place where we deliberately differ from Avro and
//! Confluent: with logical types stripped, a change of precision or scale
//! would pass unseen, and a reader would misread the value. [`decimals`]
//! refuses every change that would lose or misread one (a narrower scale, a
//! smaller precision, fewer integer digits, a scale change an older reader
//! would not rescale), naming the field.
//!
//! Time logical types are the other: `timestamp-millis` and
//! `timestamp-micros` are both a `long` to Avro, and a reader of one would
//! misread the other a thousand times over. [`time_units`] refuses a field
//! whose time logical type changes unit or kind. Unlike the decimal rules,
//! it holds in both directions whatever the reader, so it belongs to
//! [`can_read`] itself: a consumer that resolves by Avro's rules cannot tell
//! the units apart.

mod corrections;
mod decimals;
mod field_paths;
mod names;
mod problem;
mod reader_writer;
#[cfg(test)]
mod tests;
mod time_units;

use apache_avro::{Error as AvroError, Schema};
use corrections::strip_logical_types;
use decimals::Reader;
use serde_json::Value;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CompatibilityLevel {
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

    pub fn is_transitive(self) -> bool {
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
pub(crate) struct Version<'a> {
    pub number: i32,
    pub text: &'a str,
}

/// Why `candidate` may not follow `history` (oldest first) under `level`;
/// empty when it may.
pub(crate) fn incompatibilities(
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
/// every reason, one per problem (joined by "; ").
pub fn can_read(writer: &str, reader: &str) -> Result<(), String> {
    let mut writer_json: Value =
        serde_json::from_str(writer).map_err(|e| format!("the schema is not JSON: {e}"))?;
    let mut reader_json: Value =
        serde_json::from_str(reader).map_err(|e| format!("the schema is not JSON: {e}"))?;
    let time_refusals = time_units::refusals(&writer_json, &reader_json);
    strip_logical_types(&mut writer_json);
    strip_logical_types(&mut reader_json);
    let problems = reader_writer::problems(&parse(&writer_json)?, &parse(&reader_json)?)?;
    let reasons: Vec<String> =
        problems.iter().map(ToString::to_string).chain(time_refusals).collect();
    if reasons.is_empty() {
        return Ok(());
    }
    Err(reasons.join("; "))
}

fn parse(json: &Value) -> Result<Schema, String> {
    Schema::parse(json).map_err(|e: AvroError| format!("the schema does not parse: {e}"))
}
