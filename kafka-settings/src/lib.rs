//! # superstore-kafka-settings
//!
//! The one place where a Kafka client of the platform gets its settings:
//! the user's librdkafka properties (a file given by
//! `--kafka-properties`/`SUPERSTORE_KAFKA_PROPERTIES`, in the form Confluent
//! Cloud, Aiven and Redpanda hand to C, Python and Go clients), the
//! `KAFKA_*` variables over them, and the refusal of settings the pipeline
//! owns ([`rules`]). Every `ClientConfig` of the project is made by
//! [`KafkaSettings::client_config`]: the pipeline's consumer and lag probe,
//! the admin calls, the producers of `generate`, `import`, the dead letters
//! and `replay`, the offsets commands, and the probes (the local stack's
//! too, which is why this is a crate of its own below both).
//!
//! [`connection::probe`] asks the cluster once, before a command starts,
//! and turns an authentication or TLS failure into one actionable line.

#![warn(missing_docs)]

pub mod connection;
mod properties;
pub mod rules;
mod settings;

pub use connection::{probe, ConnectionError};
pub use properties::{Origin, PropertiesError};
pub use settings::{KafkaSettings, RefusedSetting, SettingsError, BOOTSTRAP_VARIABLE};

/// The environment variable naming the properties file.
pub const PROPERTIES_VARIABLE: &str = "SUPERSTORE_KAFKA_PROPERTIES";
