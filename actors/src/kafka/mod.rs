//! Kafka I/O through rdkafka (librdkafka): client settings, topic
//! administration, the reachability probe, a topic's identity, and records'
//! headers read and written as bytes. The code
//! knows nothing of which Kafka-protocol broker it talks to.

pub(crate) mod admin;
pub mod consumer_settings;
pub(crate) mod outage_log;
pub mod record_headers;
pub(crate) mod topic_id;

pub use admin::{ensure_topic, probe, KafkaError};
pub use superstore_kafka_settings::{ConnectionError, KafkaSettings};
pub use topic_id::{describe_topic, TopicIdentity};
