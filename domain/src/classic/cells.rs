//! One cell of a line, as a file format holds it (text in CSV; typed values
//! in Parquet), and its reading as each kind of value the layout needs. A
//! cell that cannot be read gives a [`LineError`] naming the column and the
//! value, never a guess.

use super::{LineError, LineReason};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::str::FromStr;

/// A cell of a line. Borrowed: readers hand over views of their buffers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    /// No value: an empty CSV field, a Parquet null.
    Null,
    /// Text, parsed as the column's kind of value.
    Text(&'a str),
    /// A whole number (Parquet `INT32`, `INT64`).
    Int(i64),
    /// A binary floating-point number (Parquet `DOUBLE`): read through its
    /// shortest round-trip text, which is the decimal the file was written
    /// from (`41.9136`, not `41.913600000000002…`).
    Float(f64),
    /// An exact decimal (Parquet `DECIMAL`).
    Decimal(Decimal),
    /// A calendar date (Parquet `DATE`, or a timestamp at midnight).
    Date(NaiveDate),
}

fn refuse(reason: LineReason, column: &str, cell: &Cell<'_>, why: &str) -> LineError {
    LineError::new(reason, format!("{column} {}: {why}", cell.describe()))
}

impl Cell<'_> {
    fn describe(&self) -> String {
        match self {
            Cell::Null => "is empty".to_owned(),
            Cell::Text(text) => format!("{text:?}"),
            Cell::Int(n) => n.to_string(),
            Cell::Float(x) => x.to_string(),
            Cell::Decimal(d) => d.to_string(),
            Cell::Date(d) => d.to_string(),
        }
    }

    fn is_blank(&self) -> bool {
        match self {
            Cell::Null => true,
            Cell::Text(text) => text.trim().is_empty(),
            _ => false,
        }
    }

    fn missing(&self, column: &str) -> Option<LineError> {
        self.is_blank()
            .then(|| LineError::new(LineReason::MissingValue, format!("{column} is empty")))
    }

    /// Text as it is (trimmed); numbers as their digits. Empty stays empty:
    /// the domain rules name an empty required field.
    pub(crate) fn text(&self, column: &str) -> Result<String, LineError> {
        match self {
            Cell::Null => Ok(String::new()),
            Cell::Text(text) => Ok(text.trim().to_owned()),
            Cell::Int(n) => Ok(n.to_string()),
            other => Err(refuse(LineReason::MalformedLine, column, other, "is not text")),
        }
    }

    /// A whole number, from its digits or a whole-valued number cell.
    pub(crate) fn whole(&self, column: &str) -> Result<i64, LineError> {
        if let Some(missing) = self.missing(column) {
            return Err(missing);
        }
        let not_whole = |cell: &Cell<'_>| {
            refuse(LineReason::UnparsableNumber, column, cell, "is not a whole number")
        };
        match self {
            Cell::Int(n) => Ok(*n),
            Cell::Text(text) => text.trim().parse().map_err(|_| not_whole(self)),
            Cell::Float(_) | Cell::Decimal(_) => {
                let exact = self.decimal(column, 0).map_err(|_| not_whole(self))?;
                i64::try_from(exact.mantissa()).map_err(|_| not_whole(self))
            }
            other => Err(not_whole(other)),
        }
    }

    /// An exact decimal with at most `max_scale` places (trailing zeros do
    /// not count). More places are refused, not rounded.
    pub(crate) fn decimal(&self, column: &str, max_scale: u32) -> Result<Decimal, LineError> {
        if let Some(missing) = self.missing(column) {
            return Err(missing);
        }
        let unparsable = |why: &str| refuse(LineReason::UnparsableNumber, column, self, why);
        let value = match self {
            Cell::Int(n) => Decimal::from(*n),
            Cell::Decimal(d) => *d,
            Cell::Float(x) if x.is_finite() => {
                Decimal::from_str(&x.to_string()).map_err(|_| unparsable("is out of range"))?
            }
            Cell::Text(text) => {
                let text = text.trim();
                Decimal::from_str(text)
                    .or_else(|_| Decimal::from_scientific(text))
                    .map_err(|_| unparsable("is not a number"))?
            }
            _ => return Err(unparsable("is not a number")),
        };
        let value = value.normalize();
        if value.scale() > max_scale {
            return Err(unparsable(&format!("has more than {max_scale} decimal places")));
        }
        Ok(value)
    }

    /// A calendar date: `YYYY-MM-DD`, or `M/D/YYYY` as the dataset's
    /// spreadsheet edition writes it.
    pub(crate) fn date(&self, column: &str) -> Result<NaiveDate, LineError> {
        if let Some(missing) = self.missing(column) {
            return Err(missing);
        }
        match self {
            Cell::Date(date) => Ok(*date),
            Cell::Text(text) => {
                let text = text.trim();
                iso_date(text)
                    .or_else(|| NaiveDate::parse_from_str(text, "%m/%d/%Y").ok())
                    .ok_or_else(|| {
                        refuse(LineReason::UnparsableDate, column, self, "is not a date")
                    })
            }
            other => Err(refuse(LineReason::UnparsableDate, column, other, "is not a date")),
        }
    }

    /// A US postal code: five digits, zero-padded when a spreadsheet has
    /// read it as a number and dropped its leading zeros (`5408` → `05408`).
    /// Anything that is not one to five digits is kept as written.
    pub(crate) fn postal_code(&self, column: &str) -> Result<String, LineError> {
        let text = match self {
            Cell::Int(n) if *n >= 0 => n.to_string(),
            other => other.text(column)?,
        };
        let digits_only = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
        if digits_only && text.len() < 5 {
            Ok(format!("{text:0>5}"))
        } else {
            Ok(text)
        }
    }
}

/// `YYYY-MM-DD`, read without a format string (the import's hot path).
fn iso_date(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        bytes[range]
            .iter()
            .try_fold(0u32, |n, b| b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0')))
    };
    let year = i32::try_from(number(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(5..7)?, number(8..10)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_read_as_the_decimal_they_were_written_from() {
        assert_eq!(Cell::Float(41.9136).decimal("Profit", 4).unwrap().to_string(), "41.9136");
        assert_eq!(Cell::Float(22.368).decimal("Sales", 4).unwrap().to_string(), "22.368");
        assert_eq!(Cell::Float(0.2).decimal("Discount", 4).unwrap().to_string(), "0.2");
        let noisy = Cell::Float(0.1 + 0.2).decimal("Sales", 4).unwrap_err();
        assert_eq!(noisy.reason, LineReason::UnparsableNumber);
        assert!(noisy.detail.contains("more than 4 decimal places"), "{}", noisy.detail);
    }

    #[test]
    fn text_numbers_and_dates_parse_or_name_the_column() {
        assert_eq!(Cell::Text(" 261.960 ").decimal("Sales", 4).unwrap().to_string(), "261.96");
        let err = Cell::Text("12,5").decimal("Sales", 4).unwrap_err();
        assert_eq!(err.detail, "Sales \"12,5\": is not a number");
        assert_eq!(Cell::Text("3").whole("Quantity",).unwrap(), 3);
        assert!(Cell::Text("2.5").whole("Quantity").is_err());
        let day = NaiveDate::from_ymd_opt(2016, 11, 8).unwrap();
        assert_eq!(Cell::Text("2016-11-08").date("Order Date").unwrap(), day);
        assert_eq!(Cell::Text("11/8/2016").date("Order Date").unwrap(), day);
        for not_a_date in ["2016-1-08", "2016-11-0x", "16-11-2016", "2016/11/08"] {
            assert!(Cell::Text(not_a_date).date("Order Date").is_err(), "{not_a_date}");
        }
        let err = Cell::Text("2016-13-45").date("Ship Date").unwrap_err();
        assert_eq!(err.reason, LineReason::UnparsableDate);
        assert_eq!(Cell::Null.date("Ship Date").unwrap_err().reason, LineReason::MissingValue);
    }

    #[test]
    fn postal_codes_get_their_leading_zeros_back() {
        assert_eq!(Cell::Text("5408").postal_code("Postal Code").unwrap(), "05408");
        assert_eq!(Cell::Int(5408).postal_code("Postal Code").unwrap(), "05408");
        assert_eq!(Cell::Int(42420).postal_code("Postal Code").unwrap(), "42420");
        assert_eq!(Cell::Text("K1A 0B1").postal_code("Postal Code").unwrap(), "K1A 0B1");
        assert_eq!(Cell::Null.postal_code("Postal Code").unwrap(), "");
    }
}
