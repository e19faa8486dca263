//! The lag probe: how far staging trails Kafka, per assigned partition, as
//! the gauge `superstore_consumer_lag` (high watermark minus the next offset
//! to stage).
//!
//! It runs beside the stages, not in them: it has a Kafka client of its own
//! (no group, so it never joins the consumers' rebalances), reads the
//! partitions the source holds and the offsets staging has committed from
//! the [`Ledger`], and measures every `every` on a blocking thread, so a
//! slow broker never holds up the pipeline. A partition whose watermarks
//! cannot be read keeps its last value, which the exporter drops once it
//! stops being refreshed.

use crate::flow::ledger::Ledger;
use crate::intake::assignment::AssignedPartitions;
use rdkafka::consumer::{BaseConsumer, Consumer};
use std::sync::Arc;
use std::time::Duration;
use superstore_kafka_settings::KafkaSettings;

/// How long one watermark request may take.
const WATERMARK_TIMEOUT: Duration = Duration::from_secs(2);

pub(crate) struct LagProbe {
    client: BaseConsumer,
    topic: String,
    assigned: AssignedPartitions,
    ledger: Arc<Ledger>,
}

impl LagProbe {
    pub(crate) fn new(
        kafka: &KafkaSettings,
        topic: &str,
        assigned: AssignedPartitions,
        ledger: Arc<Ledger>,
    ) -> Result<Self, rdkafka::error::KafkaError> {
        let client = kafka
            .client_config(|config| {
                config.set("log_level", "3");
            })
            .create()?;
        Ok(LagProbe { client, topic: topic.to_owned(), assigned, ledger })
    }

    /// Measures every `every` until the actix system stops.
    pub(crate) fn spawn(self, every: Duration) {
        let stopped = "the lag probe panicked; lag is no longer measured";
        super::periodic::every(every, self, LagProbe::measure, stopped);
    }

    /// One measurement of every assigned partition.
    fn measure(&self) {
        let partitions: Vec<i32> =
            self.assigned.lock().expect("assignment lock").iter().copied().collect();
        let committed = self.ledger.committed_offsets();
        for partition in partitions {
            match self.client.fetch_watermarks(&self.topic, partition, WATERMARK_TIMEOUT) {
                Ok((low, high)) => {
                    // Nothing staged yet: the next offset to stage is the first one kept.
                    let next = committed.get(&partition).copied().unwrap_or(low).max(low);
                    crate::metrics::consumer_lag(&self.topic, partition, high - next);
                }
                Err(e) => tracing::debug!(partition, error = %e, "cannot read the watermarks"),
            }
        }
    }
}
