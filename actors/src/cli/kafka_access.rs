//! How every command that talks to Kafka gets its settings: the
//! `--kafka-properties FILE` flag (or `SUPERSTORE_KAFKA_PROPERTIES`) shared
//! by those commands, the `KAFKA_*` variables over it, and the endpoints
//! resolved with the file's `bootstrap.servers` standing in for
//! `KAFKA_BOOTSTRAP_SERVERS`. The rules live in `superstore_kafka_settings`.

use super::failure::Failure;
use std::path::PathBuf;
use std::time::Duration;
use superstore_actors::kafka::{self, KafkaSettings};
use superstore_kafka_settings::PROPERTIES_VARIABLE;
use superstore_stack::Endpoints;

/// The flag of every command that talks to Kafka.
#[derive(Debug, Clone, clap::Args)]
pub struct KafkaArgs {
    /// A file of librdkafka settings (`key=value`, `#` comments), as Confluent Cloud, Aiven and
    /// Redpanda hand them to C, Python and Go clients: security.protocol, sasl.mechanisms,
    /// sasl.username, sasl.password, ssl.ca.location… KAFKA_SECURITY_PROTOCOL,
    /// KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD, KAFKA_SSL_CA_LOCATION,
    /// KAFKA_SSL_CERTIFICATE_LOCATION and KAFKA_SSL_KEY_LOCATION override it. Settings the
    /// pipeline owns (group, offsets, isolation, assignment, acks) are refused.
    #[arg(long, env = PROPERTIES_VARIABLE, value_name = "FILE", global = true)]
    pub kafka_properties: Option<PathBuf>,
}

/// The endpoints, and the Kafka settings for their brokers.
pub fn resolve(args: &KafkaArgs) -> Result<(Endpoints, KafkaSettings), Failure> {
    let variable = |name: &str| std::env::var(name).ok();
    let settings = KafkaSettings::load(args.kafka_properties.as_deref(), variable)
        .map_err(|e| Failure::Usage(e.to_string()))?;
    let endpoints =
        superstore_stack::resolve_with(settings.file_bootstrap()).map_err(Failure::from)?;
    let settings = settings.with_bootstrap(&endpoints.kafka_bootstrap_servers);
    Ok((endpoints, settings))
}

/// Asks the cluster once before the command starts: unreachable is exit 3,
/// a refusal (credentials, TLS) exit 2 with the setting to fix.
pub fn check(settings: &KafkaSettings) -> Result<(), Failure> {
    kafka::probe(settings, Duration::from_secs(10))
        .map(drop)
        .map_err(|e| Failure::kafka(settings.bootstrap(), e))
}
