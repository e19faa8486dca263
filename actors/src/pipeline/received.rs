//! A Kafka record as the source receives it, turned into an [`Envelope`].
//!
//! Every field of a record comes from its producer and is untrusted: the
//! key, the value, each header's key and value, and the timestamp. Bytes are
//! kept as bytes (header keys included, see `crate::kafka::record_headers`),
//! so nothing here can fail on their content. A timestamp is the one field
//! staging cannot always hold: PostgreSQL's `timestamptz` starts in 4714 BC,
//! and a producer may set any 64-bit number of milliseconds. Such a record is
//! quarantined as `unrepresentable_metadata`, with the number in the detail
//! and its bytes kept, rather than refused by PostgreSQL in a way that would
//! also refuse its quarantine row.

use super::envelope::{Coordinates, Envelope, Verdict};
use super::quarantine::{Quarantine, QuarantineReason};
use crate::kafka::record_headers;
use chrono::{DateTime, NaiveDate, Utc};
use rdkafka::message::{BorrowedMessage, Message as _};

/// The envelope of a received record, rejected at once if its metadata
/// cannot be represented in staging.
pub fn received_envelope(message: &BorrowedMessage<'_>) -> Envelope {
    let millis = message.timestamp().to_millis();
    let timestamp = millis.and_then(representable_timestamp);
    let verdict = match millis {
        Some(millis) if timestamp.is_none() => Verdict::Rejected(Quarantine::new(
            QuarantineReason::UnrepresentableMetadata,
            format!(
                "the record's Kafka timestamp, {millis} ms since 1970, is outside the range \
                 PostgreSQL can store (4714 BC to 294276 AD)"
            ),
            None,
        )),
        _ => Verdict::Raw,
    };
    Envelope {
        coordinates: Coordinates { partition: message.partition(), offset: message.offset() },
        key: message.key().map(<[u8]>::to_vec),
        payload: message.payload().map(<[u8]>::to_vec),
        timestamp,
        headers: message.headers().map(record_headers::read).unwrap_or_default(),
        verdict,
    }
}

/// The instant of `millis`, if `timestamptz` can hold it.
pub fn representable_timestamp(millis: i64) -> Option<DateTime<Utc>> {
    let instant = DateTime::from_timestamp_millis(millis)?;
    // Year -4713 is 4714 BC; chrono's own range ends before PostgreSQL's
    // upper bound, so only the lower one needs a check.
    let earliest = NaiveDate::from_ymd_opt(-4713, 11, 24)?.and_hms_opt(0, 0, 0)?.and_utc();
    (instant >= earliest).then_some(instant)
}

#[cfg(test)]
mod tests {
    use super::representable_timestamp;

    #[test]
    fn timestamps_beyond_postgresql_or_chrono_are_not_representable() {
        assert!(representable_timestamp(0).is_some());
        assert!(representable_timestamp(-210_866_803_200_000).is_some(), "4714-11-24 BC");
        assert!(representable_timestamp(-210_866_803_200_001).is_none());
        assert!(representable_timestamp(i64::MIN).is_none());
        assert!(representable_timestamp(i64::MAX).is_none());
        assert!(representable_timestamp(8_000_000_000_000_000).is_some(), "year 255,000");
    }
}
