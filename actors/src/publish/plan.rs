//! What a publish is asked to do, what it reports, and how it fails: the
//! words the publisher actor, its sending loop and the commands share.

use super::event_source::SourceError;
use super::feeder::FeedError;
use crate::supervision::GaveUp;
use rdkafka::error::KafkaError;

/// Where and how the items of a source are published.
#[derive(Clone)]
pub struct PublishPlan {
    pub topic: String,
    pub schema_id: i32,
    /// The version of schemas/sale the events are written with.
    pub schema_version: u32,
    /// Events per second; None publishes as fast as Kafka takes them.
    pub rate: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct PublishReport {
    /// Items of the source gone through: events confirmed, and skipped items.
    pub items: u64,
    /// Deliveries confirmed by Kafka (an event re-sent after a restart counts again).
    pub delivered: u64,
    pub restarts: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("Kafka refused a message: {0}")]
    Send(KafkaError),
    #[error("delivery of event #{index} failed: {source}")]
    Delivery { index: u64, source: KafkaError },
    #[error("the producer dropped a delivery report")]
    Canceled,
    #[error("cannot encode event #{index}: {detail}")]
    Encode { index: u64, detail: String },
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("the run panicked: {0}")]
    Panicked(String),
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
