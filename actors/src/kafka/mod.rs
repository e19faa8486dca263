//! Kafka I/O through rdkafka (librdkafka): client settings, topic
//! administration, the reachability probe, and a topic's identity. The code
//! knows nothing of which Kafka-protocol broker it talks to.

pub mod admin;
pub mod consumer_settings;
pub mod outage_log;
pub mod producer;
pub mod topic_id;

pub use admin::{ensure_topic, probe, KafkaError};
pub use superstore_kafka_settings::{ConnectionError, KafkaSettings};
pub use topic_id::{describe_topic, TopicIdentity};
