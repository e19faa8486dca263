//! One value in PostgreSQL's binary wire format, as a field of a binary
//! COPY row: a 4-byte length, then the bytes (or length -1 for NULL).
//!
//! The staging rows are written with a binary COPY because PostgreSQL then
//! parses no text: the bench (`scripts/bench.sh`, "COPY in text format")
//! shows the text input functions of staging's columns costing PostgreSQL
//! more per row than the indexes. Which encoding a column takes is derived
//! from the Diesel table (its type OID, `superstore_database::column_type_oids`),
//! and the value comes as the text the row's serde form gives (the same
//! text a text COPY would carry), so that no list of fields is kept here.
//! `actors/tests/binary_fields.rs` holds every kind to PostgreSQL's own
//! `COPY ... TO STDOUT (FORMAT binary)` of the same value.

use chrono::{DateTime, NaiveDate, Utc};

/// Microseconds from the Unix epoch to PostgreSQL's, 2000-01-01 00:00 UTC.
const POSTGRES_EPOCH_MICROS: i64 = 946_684_800_000_000;
/// Days from the Unix epoch to PostgreSQL's.
const POSTGRES_EPOCH_DAYS: i64 = 10_957;

/// The column types staging uses, by how PostgreSQL reads them in binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// `boolean`: one byte.
    Bool,
    /// `smallint`: two bytes, big-endian.
    Int2,
    /// `integer`: four bytes, big-endian.
    Int4,
    /// `bigint`: eight bytes, big-endian.
    Int8,
    /// `text` or `varchar`: the UTF-8 bytes.
    Text,
    /// `uuid`: its 16 bytes.
    Uuid,
    /// `date`: days since 2000-01-01, four bytes.
    Date,
    /// `timestamptz`: microseconds since 2000-01-01 00:00 UTC, eight bytes.
    Timestamptz,
    /// `numeric`: base-10000 digits with weight, sign and display scale.
    Numeric,
    /// `json`: the JSON text.
    Json,
    /// `jsonb`: a version byte (1), then the JSON text.
    Jsonb,
}

impl ColumnKind {
    /// The kind of a column of type `oid`; None for a type this module does
    /// not encode (a row with a value for such a column fails to build).
    pub fn from_oid(oid: u32) -> Option<Self> {
        Some(match oid {
            16 => ColumnKind::Bool,
            21 => ColumnKind::Int2,
            23 => ColumnKind::Int4,
            20 => ColumnKind::Int8,
            25 | 1043 => ColumnKind::Text,
            2950 => ColumnKind::Uuid,
            1082 => ColumnKind::Date,
            1184 => ColumnKind::Timestamptz,
            1700 => ColumnKind::Numeric,
            114 => ColumnKind::Json,
            3802 => ColumnKind::Jsonb,
            _ => return None,
        })
    }
}

/// Appends a NULL field.
pub fn push_null(out: &mut Vec<u8>) {
    out.extend_from_slice(&(-1i32).to_be_bytes());
}

/// Appends the field of `text` read as a value of `kind`.
pub fn push_field(kind: ColumnKind, text: &str, out: &mut Vec<u8>) -> Result<(), String> {
    let length_at = out.len();
    out.extend_from_slice(&[0; 4]);
    encode(kind, text, out).map_err(|why| format!("{text:?} is not a {kind:?} value: {why}"))?;
    let length = i32::try_from(out.len() - length_at - 4).map_err(|_| "a value over 2 GiB")?;
    out[length_at..length_at + 4].copy_from_slice(&length.to_be_bytes());
    Ok(())
}

fn encode(kind: ColumnKind, text: &str, out: &mut Vec<u8>) -> Result<(), String> {
    match kind {
        ColumnKind::Bool => out.push(match text {
            "t" | "true" => 1,
            "f" | "false" => 0,
            _ => return Err("neither true nor false".into()),
        }),
        ColumnKind::Int2 => out.extend_from_slice(&parse::<i16>(text)?.to_be_bytes()),
        ColumnKind::Int4 => out.extend_from_slice(&parse::<i32>(text)?.to_be_bytes()),
        ColumnKind::Int8 => out.extend_from_slice(&parse::<i64>(text)?.to_be_bytes()),
        ColumnKind::Text | ColumnKind::Json => out.extend_from_slice(text.as_bytes()),
        ColumnKind::Jsonb => {
            // jsonb's binary format: a version byte, then the JSON text.
            out.push(1);
            out.extend_from_slice(text.as_bytes());
        }
        ColumnKind::Uuid => out
            .extend_from_slice(uuid::Uuid::parse_str(text).map_err(|e| e.to_string())?.as_bytes()),
        ColumnKind::Date => {
            let date = text.parse::<NaiveDate>().map_err(|e| e.to_string())?;
            let days = date.signed_duration_since(NaiveDate::default()).num_days();
            let days = i32::try_from(days - POSTGRES_EPOCH_DAYS).map_err(|e| e.to_string())?;
            out.extend_from_slice(&days.to_be_bytes());
        }
        ColumnKind::Timestamptz => {
            let instant = text.parse::<DateTime<Utc>>().map_err(|e| e.to_string())?;
            let micros = instant.timestamp_micros() - POSTGRES_EPOCH_MICROS;
            out.extend_from_slice(&micros.to_be_bytes());
        }
        ColumnKind::Numeric => push_numeric(text, out)?,
    }
    Ok(())
}

fn parse<T: std::str::FromStr>(text: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    text.parse::<T>().map_err(|e| e.to_string())
}

/// A decimal's text (`-12.3400`) as PostgreSQL's `numeric`: base-10000
/// digits with the weight of the first, a sign, and the display scale (the
/// digits after the point as written), in the form PostgreSQL itself sends:
/// no leading or trailing zero digit, zero positive with no digit.
fn push_numeric(text: &str, out: &mut Vec<u8>) -> Result<(), String> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits_only(whole) || !digits_only(fraction) || whole.is_empty() && fraction.is_empty() {
        return Err("not a plain decimal".into());
    }
    let scale = i16::try_from(fraction.len()).map_err(|_| "too many decimals")?;
    // Whole digits padded on the left and fraction digits on the right to
    // groups of four: each group is one base-10000 digit.
    let pad_left = (4 - whole.len() % 4) % 4;
    let pad_right = (4 - fraction.len() % 4) % 4;
    let digits: Vec<u8> = std::iter::repeat_n(b'0', pad_left)
        .chain(whole.bytes())
        .chain(fraction.bytes())
        .chain(std::iter::repeat_n(b'0', pad_right))
        .collect();
    let groups: Vec<i16> = digits
        .chunks(4)
        .map(|g| g.iter().fold(0i16, |n, d| n * 10 + i16::from(d - b'0')))
        .collect();
    let whole_groups = (pad_left + whole.len()) / 4;
    let first = groups.iter().position(|&g| g != 0);
    let last = groups.iter().rposition(|&g| g != 0);
    let (kept, weight, sign): (&[i16], i16, u16) = match (first, last) {
        (Some(first), Some(last)) => {
            let weight = i16::try_from(whole_groups).map_err(|_| "too many digits")?
                - 1
                - i16::try_from(first).map_err(|_| "too many digits")?;
            (&groups[first..=last], weight, if negative { 0x4000 } else { 0 })
        }
        _ => (&[], 0, 0),
    };
    let count = i16::try_from(kept.len()).map_err(|_| "too many digits")?;
    for part in [count, weight] {
        out.extend_from_slice(&part.to_be_bytes());
    }
    out.extend_from_slice(&sign.to_be_bytes());
    out.extend_from_slice(&scale.to_be_bytes());
    for group in kept {
        out.extend_from_slice(&group.to_be_bytes());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(kind: ColumnKind, text: &str) -> Vec<u8> {
        let mut out = Vec::new();
        push_field(kind, text, &mut out).unwrap();
        out
    }

    #[test]
    fn a_field_is_its_length_then_its_bytes() {
        assert_eq!(field(ColumnKind::Int4, "258"), [0, 0, 0, 4, 0, 0, 1, 2]);
        assert_eq!(field(ColumnKind::Text, "ab"), [0, 0, 0, 2, b'a', b'b']);
        let mut null = Vec::new();
        push_null(&mut null);
        assert_eq!(null, [255, 255, 255, 255]);
    }

    #[test]
    fn numeric_groups_digits_by_four_from_the_point() {
        // 12.3400: one whole digit (12), one fraction digit (3400), scale 4.
        assert_eq!(
            field(ColumnKind::Numeric, "12.3400")[4..],
            [0, 2, 0, 0, 0, 0, 0, 4, 0, 12, 0x0d, 0x48]
        );
        // -0.0001: the digit 1 at weight -1, negative.
        assert_eq!(
            field(ColumnKind::Numeric, "-0.0001")[4..],
            [0, 1, 255, 255, 0x40, 0, 0, 4, 0, 1]
        );
        // Zero has no digit and no sign, whatever its scale or sign.
        assert_eq!(field(ColumnKind::Numeric, "-0.00")[4..], [0, 0, 0, 0, 0, 0, 0, 2]);
    }

    #[test]
    fn what_is_not_a_value_of_its_kind_is_refused_with_the_text() {
        let mut out = Vec::new();
        let refused = push_field(ColumnKind::Numeric, "1e5", &mut out).unwrap_err();
        assert!(refused.contains("\"1e5\""), "{refused}");
        assert!(push_field(ColumnKind::Uuid, "nope", &mut out).is_err());
        assert!(push_field(ColumnKind::Bool, "yes", &mut out).is_err());
        assert_eq!(ColumnKind::from_oid(600), None, "a point has no encoding here");
    }
}
