//! Topic administration and the broker probe.

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::types::RDKafkaErrorCode;
use std::time::Duration;
use superstore_kafka_settings::{ConnectionError, KafkaSettings};

/// Why a Kafka client call failed.
#[derive(Debug, thiserror::Error)]
pub enum KafkaError {
    /// Unreachable, or refused: a refusal is the user's to fix (see
    /// `superstore_kafka_settings::connection`).
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    /// The cluster refused to create a missing topic.
    #[error("cannot create topic {topic}: {reason}")]
    CreateTopic {
        /// The topic.
        topic: String,
        /// The broker's error code, as text.
        reason: String,
    },
    /// The topic's id and partitions could not be had (missing, unauthorized,
    /// or a broker too old to send topic ids).
    #[error("cannot describe topic {topic}: {reason}")]
    DescribeTopic {
        /// The topic.
        topic: String,
        /// What librdkafka or the broker said.
        reason: String,
    },
    /// Any other error of librdkafka (creating a client, fetching watermarks).
    #[error("Kafka client error: {0}")]
    Client(#[from] rdkafka::error::KafkaError),
}

/// Asks the cluster for its metadata; returns the number of brokers. A
/// refused connection (credentials, TLS) ends it at once. Blocking: call it
/// off the async threads.
pub fn probe(settings: &KafkaSettings, timeout: Duration) -> Result<usize, KafkaError> {
    let brokers = superstore_kafka_settings::probe(settings, timeout)?;
    tracing::debug!(bootstrap = settings.bootstrap(), how = %settings.describe(), "Kafka answers");
    Ok(brokers)
}

/// Creates `topic` with `partitions` if it is missing, with the cluster's
/// default replication factor. An existing topic is left as it is.
pub async fn ensure_topic(
    settings: &KafkaSettings,
    topic: &str,
    partitions: i32,
) -> Result<(), KafkaError> {
    let admin: AdminClient<DefaultClientContext> = settings.client_config(|_| {}).create()?;
    let new_topic = NewTopic::new(topic, partitions, TopicReplication::Fixed(-1));
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let results = admin.create_topics([&new_topic], &options).await?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => {
                return Err(KafkaError::CreateTopic { topic: name, reason: code.to_string() })
            }
        }
    }
    Ok(())
}
