//! Kafka I/O through rdkafka (librdkafka): client settings, topic
//! administration and the reachability probe. The code knows nothing of
//! which Kafka-protocol broker it talks to.

pub mod admin;
pub mod producer;

pub use admin::{ensure_topic, probe, KafkaError};
