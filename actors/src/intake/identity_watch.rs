//! Watches, while the pipeline runs, that the topic is still the one whose
//! offsets it stores: Kafka's topic id is asked for every
//! [`CHECK_EVERY`]. A topic deleted and created again under the same name
//! is usually noticed at once (its offsets start again from 0, so the
//! consumer's position falls outside the log); this catches the case where
//! the new topic already holds more records than the old position by the
//! time the consumer fetches again, which would otherwise skip them.
//! On a different id the run halts, like the check before a run.

use crate::flow::outcomes::SourceHalt;
use crate::kafka;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use superstore_kafka_settings::KafkaSettings;

pub(crate) const CHECK_EVERY: Duration = Duration::from_secs(15);

/// What the watch compares, and where it says stop.
pub(crate) struct IdentityWatch {
    pub(crate) kafka: KafkaSettings,
    pub(crate) topic: String,
    pub(crate) topic_id: String,
    pub(crate) halt: Arc<Mutex<Option<SourceHalt>>>,
}

impl IdentityWatch {
    /// Runs until aborted (or until it halts the run). A failed request is
    /// not a verdict: it is asked again next time.
    pub(crate) async fn run(self) {
        loop {
            tokio::time::sleep(CHECK_EVERY).await;
            let (settings, topic) = (self.kafka.clone(), self.topic.clone());
            let described = tokio::task::spawn_blocking(move || {
                kafka::describe_topic(&settings, &topic, Duration::from_secs(10))
            })
            .await;
            let Ok(Ok(now)) = described else { continue };
            if now.id != self.topic_id {
                let halt = SourceHalt::OffsetsInvalid(format!(
                    "topic {} was deleted and created again while the pipeline ran (id {} is now \
                     {})",
                    self.topic, self.topic_id, now.id
                ));
                tracing::error!(reason = %halt, "halting the pipeline");
                self.halt.lock().expect("halt lock").get_or_insert(halt);
                return;
            }
        }
    }
}
