//! What a publish is asked to do, what it reports, and how it fails: the
//! words the publisher actor, its sending loop and the commands share.

use super::event_source::SourceError;
use super::feeder::FeedError;
use crate::supervision::GaveUp;
use rdkafka::error::KafkaError;

/// Where and how the items of a source are published.
#[derive(Clone)]
pub struct PublishPlan {
    /// The topic the events are published to.
    pub topic: String,
    /// The registry id of the schema, written in each message's Confluent framing.
    pub schema_id: i32,
    /// The version of schemas/sale the events are written with.
    pub schema_version: u32,
    /// The registry id of the return schema (its newest version), for a
    /// source that publishes returns too; None for one of sales only.
    pub return_schema_id: Option<i32>,
    /// Events per second; None publishes as fast as Kafka takes them.
    pub rate: Option<f64>,
}

/// What a publish did, once every event is confirmed.
#[derive(Debug, Clone)]
pub struct PublishReport {
    /// Items of the source gone through: events confirmed, and skipped items.
    pub items: u64,
    /// Deliveries confirmed by Kafka (an event re-sent after a restart counts again).
    pub delivered: u64,
    /// Runs restarted by the supervision policy.
    pub restarts: u32,
}

/// Why a publish, or one run of it, failed.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The producer refused to queue a message (other than for a full queue).
    #[error("Kafka refused a message: {0}")]
    Send(KafkaError),
    /// Kafka reported a message as not delivered.
    #[error("delivery of event #{index} failed: {source}")]
    Delivery {
        /// The event's index in the source.
        index: u64,
        /// Why, as librdkafka reports it.
        source: KafkaError,
    },
    /// A run ended without reporting its outcome.
    #[error("the producer dropped a delivery report")]
    Canceled,
    /// An event could not be written in Avro; not retried.
    #[error("cannot encode event #{index}: {detail}")]
    Encode {
        /// The event's index in the source.
        index: u64,
        /// Why, as the Avro writer says.
        detail: String,
    },
    /// The source cannot go on; not retried.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// A run panicked, or one of its threads could not start.
    #[error("the run panicked: {0}")]
    Panicked(String),
    /// The publisher failed more often than the supervision policy allows.
    #[error(transparent)]
    GaveUp(#[from] GaveUp),
}

impl From<FeedError> for PublishError {
    fn from(err: FeedError) -> Self {
        match err {
            FeedError::Source(e) => PublishError::Source(e),
            FeedError::Encode { index, detail } => PublishError::Encode { index, detail },
        }
    }
}

impl PublishError {
    /// Whether another run could succeed where this one failed: not when the
    /// source itself cannot go on, or an event cannot be encoded.
    pub(super) fn is_retryable(&self) -> bool {
        !matches!(self, PublishError::Source(_) | PublishError::Encode { .. })
    }
}
