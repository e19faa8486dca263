//! A Kafka record as the source receives it, turned into an [`Envelope`].
//!
//! Every field of a record comes from its producer and is untrusted: the
//! key, the value, each header's key and value, and the timestamp. Bytes are
//! kept as bytes (header keys included, see `crate::kafka::record_headers`),
//! so nothing here can fail on their content. A timestamp is the one field
//! staging cannot always hold: a producer may set any 64-bit number of
//! milliseconds, and staging's rows carry years 1 to 9999 (PostgreSQL reads
//! no other year in the ISO text the rows are copied in). Such a record is
//! quarantined as `unrepresentable_metadata`, with the number in the detail
//! and its bytes kept, rather than refused by PostgreSQL.

use crate::flow::envelope::{Coordinates, Envelope, Verdict};
use crate::flow::quarantine::{Quarantine, QuarantineReason};
use crate::kafka::record_headers;
use chrono::{DateTime, Datelike, Utc};
use rdkafka::message::{BorrowedMessage, Message as _};

/// The envelope of a received record, rejected at once if its metadata
/// cannot be represented in staging.
pub(crate) fn received_envelope(message: &BorrowedMessage<'_>) -> Envelope {
    let millis = message.timestamp().to_millis();
    let timestamp = millis.and_then(representable_timestamp);
    let verdict = match millis {
        Some(millis) if timestamp.is_none() => Verdict::Rejected(Quarantine::new(
            QuarantineReason::UnrepresentableMetadata,
            format!(
                "the record's Kafka timestamp, {millis} ms since 1970, is outside the years \
                 staging stores (1 to 9999)"
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

/// The instant of `millis`, if staging can hold it: years 1 to 9999.
pub fn representable_timestamp(millis: i64) -> Option<DateTime<Utc>> {
    let instant = DateTime::from_timestamp_millis(millis)?;
    (1..=9999).contains(&instant.year()).then_some(instant)
}

#[cfg(test)]
mod tests {
    use super::representable_timestamp;

    #[test]
    fn timestamps_outside_the_years_1_to_9999_are_not_representable() {
        assert!(representable_timestamp(0).is_some());
        assert!(representable_timestamp(-62_135_596_800_000).is_some(), "0001-01-01");
        assert!(representable_timestamp(-62_135_596_800_001).is_none());
        assert!(representable_timestamp(253_402_300_799_999).is_some(), "9999-12-31 23:59:59.999");
        assert!(representable_timestamp(253_402_300_800_000).is_none());
        assert!(representable_timestamp(i64::MIN).is_none());
        assert!(representable_timestamp(i64::MAX).is_none());
    }
}
