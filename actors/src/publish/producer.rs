//! The producer settings every publisher of sale events uses.

use crate::publish::{DeliveryLedger, PublishProducer};
use superstore_kafka_settings::KafkaSettings;

/// An idempotent producer with `acks=all`: a retried send is written once,
/// and a send counts as delivered only when every in-sync replica has it.
/// Its delivery reports go to the publisher's ledger.
pub fn idempotent_producer(
    settings: &KafkaSettings,
) -> Result<PublishProducer, rdkafka::error::KafkaError> {
    settings
        .client_config(|config| {
            config
                .set("enable.idempotence", "true")
                .set("acks", "all")
                .set("linger.ms", "10")
                .set("compression.type", "lz4")
                .set("queue.buffering.max.messages", "200000")
                .set("message.timeout.ms", "120000");
        })
        .create_with_context(DeliveryLedger::default())
}
