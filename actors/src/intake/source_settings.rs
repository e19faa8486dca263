//! What the Kafka source is told at start: where to consume, whom to write
//! to, and the bounds on what it holds in flight.

use crate::intake::assignment::AssignedPartitions;
use std::time::Duration;
use superstore_database::PgPool;
use superstore_kafka_settings::KafkaSettings;

#[derive(Clone)]
pub(crate) struct SourceSettings {
    pub(crate) kafka: KafkaSettings,
    pub(crate) group_id: String,
    /// This instance's `group.instance.id`, if it is a static member.
    pub(crate) instance_id: Option<String>,
    pub(crate) topic: String,
    /// Kafka's id of the topic, as checked before the run.
    pub(crate) topic_id: String,
    pub(crate) pool: PgPool,
    /// Records per chunk handed to the decoder.
    pub(crate) chunk_size: usize,
    /// Consumed but uncommitted records above which partitions are paused.
    pub(crate) max_in_flight: u64,
    /// The same, in bytes of keys and values as read from Kafka.
    pub(crate) max_in_flight_bytes: u64,
    /// Kafka's `max.poll.interval.ms`.
    pub(crate) max_poll_interval: Duration,
    /// Kafka's `session.timeout.ms` (see `kafka::consumer_settings`).
    pub(crate) session_timeout: Duration,
    /// Stop once every assigned partition is drained and committed.
    pub(crate) until_idle: bool,
    /// The partitions this source holds, shared with the lag probe and the health check.
    pub(crate) assigned: AssignedPartitions,
}
