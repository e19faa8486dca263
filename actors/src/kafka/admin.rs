//! Topic administration and the broker probe.

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::types::RDKafkaErrorCode;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum KafkaError {
    #[error("cannot reach Kafka at {bootstrap}: {source}")]
    Unreachable { bootstrap: String, source: rdkafka::error::KafkaError },
    #[error("cannot create topic {topic}: {reason}")]
    CreateTopic { topic: String, reason: String },
    #[error("cannot describe topic {topic}: {reason}")]
    DescribeTopic { topic: String, reason: String },
    #[error("Kafka client error: {0}")]
    Client(#[from] rdkafka::error::KafkaError),
}

/// Asks the cluster for its metadata; returns the number of brokers.
/// Blocking: call it off the async threads.
pub fn probe(bootstrap: &str, timeout: Duration) -> Result<usize, KafkaError> {
    let consumer: BaseConsumer =
        ClientConfig::new().set("bootstrap.servers", bootstrap).set("log_level", "3").create()?;
    let metadata = consumer
        .fetch_metadata(None, timeout)
        .map_err(|source| KafkaError::Unreachable { bootstrap: bootstrap.to_owned(), source })?;
    Ok(metadata.brokers().len())
}

/// Creates `topic` with `partitions` if it is missing, with the cluster's
/// default replication factor. An existing topic is left as it is.
pub async fn ensure_topic(bootstrap: &str, topic: &str, partitions: i32) -> Result<(), KafkaError> {
    let admin: AdminClient<DefaultClientContext> =
        ClientConfig::new().set("bootstrap.servers", bootstrap).create()?;
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
