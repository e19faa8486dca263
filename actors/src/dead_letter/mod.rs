//! The dead-letter topic: every record the pipeline quarantines is also
//! published to it (`<topic>.dlq` by default, `superstore.sales.dlq` for
//! the sales topic) with its original key, value, headers and timestamp,
//! plus headers that say why and where it came from ([`header`]).
//!
//! Which side is exactly-once: staging. The quarantine row is written in the
//! batch's transaction, with the offsets; the dead-letter topic is fed from
//! those rows afterwards, as an outbox ([`outbox`]): a row is marked
//! `dlq_published_at` once Kafka has acknowledged its record, and rows not
//! yet marked are sent again. So the dead-letter topic is at-least-once: a
//! failure between Kafka's acknowledgement and the mark sends a record
//! twice; a dead-letter topic that refuses writes delays it, and never
//! loses the quarantine row.
//!
//! `superstore replay --from-dlq` ([`replay`]) re-publishes dead letters to
//! the sales topic once an operator has fixed what refused them.

pub(crate) mod outbox;
pub(crate) mod outbox_rows;
pub mod replay;

/// The dead-letter topic of `topic` unless one is named.
pub fn default_topic(topic: &str) -> String {
    format!("{topic}.dlq")
}

/// The headers a dead letter carries besides the record's own.
pub(crate) mod header {
    /// All of them start with this, and replay strips them.
    pub(crate) const PREFIX: &str = "superstore.dlq.";
    /// The reason code (`quantity_out_of_range`, `refused_by_database`, …).
    pub(crate) const REASON: &str = "superstore.dlq.reason";
    /// The sentence that says what was wrong.
    pub(crate) const DETAIL: &str = "superstore.dlq.detail";
    /// Where the record was read: topic, Kafka's topic id, partition, offset.
    pub(crate) const TOPIC: &str = "superstore.dlq.topic";
    pub(crate) const TOPIC_ID: &str = "superstore.dlq.topic_id";
    pub(crate) const PARTITION: &str = "superstore.dlq.partition";
    pub(crate) const OFFSET: &str = "superstore.dlq.offset";
    /// The consumer group that quarantined it.
    pub(crate) const GROUP: &str = "superstore.dlq.group";
    /// When it was quarantined (RFC 3339, UTC).
    pub(crate) const REJECTED_AT: &str = "superstore.dlq.rejected_at";
    /// The writer schema id of its framing, when it had one.
    pub(crate) const SCHEMA_ID: &str = "superstore.dlq.schema_id";
    /// On a replayed record: the dead letter it came from (`topic/partition/offset`).
    pub(crate) const REPLAY_OF: &str = "superstore.replay.of";
}
