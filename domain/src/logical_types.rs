//! How the logical types of the sale schema travel through serde. For
//! apache-avro, whose (de)serializer is not human-readable, they take their
//! Avro form: a uuid as its string, an instant as a long of microseconds
//! (the domain's unit, which the Avro mapping moves to each schema's),
//! `date` as days since the epoch (decimals are `Money`'s and `Discount`'s
//! own business). For JSON they keep their usual text: RFC 3339 instants,
//! ISO dates.
//!
//! Used as `#[serde(with = "...")]` on the fields of [`crate::SaleEvent`].

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A uuid as its hyphenated text, in every format.
pub mod uuid_text {
    use super::*;
    use uuid::Uuid;

    pub fn serialize<S: Serializer>(id: &Uuid, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&id.hyphenated())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Uuid, D::Error> {
        let text = String::deserialize(deserializer)?;
        Uuid::parse_str(&text).map_err(|e| D::Error::custom(format!("{text:?} is not a uuid: {e}")))
    }
}

/// An instant as Avro's `timestamp-micros`, kept to the microsecond (the
/// warehouse's `timestamptz` holds no finer).
pub mod timestamp_micros {
    use super::*;

    pub fn serialize<S: Serializer>(
        time: &DateTime<Utc>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            time.serialize(serializer)
        } else {
            serializer.serialize_i64(time.timestamp_micros())
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        if deserializer.is_human_readable() {
            return DateTime::deserialize(deserializer);
        }
        let micros = i64::deserialize(deserializer)?;
        DateTime::from_timestamp_micros(micros)
            .ok_or_else(|| D::Error::custom(format!("{micros} µs is not a valid timestamp")))
    }
}

/// A calendar date as Avro's `date`: days since 1970-01-01.
pub mod epoch_days {
    use super::*;

    fn epoch() -> NaiveDate {
        NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date")
    }

    pub fn serialize<S: Serializer>(date: &NaiveDate, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            return date.serialize(serializer);
        }
        let days = i32::try_from((*date - epoch()).num_days()).map_err(|_| {
            serde::ser::Error::custom(format!("{date} is out of Avro's date range"))
        })?;
        serializer.serialize_i32(days)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
        if deserializer.is_human_readable() {
            return NaiveDate::deserialize(deserializer);
        }
        let days = i32::deserialize(deserializer)?;
        epoch()
            .checked_add_signed(TimeDelta::days(days.into()))
            .ok_or_else(|| D::Error::custom(format!("{days} is not a valid date")))
    }
}
