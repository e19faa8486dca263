//! The publisher of `superstore generate`: seeded sale events, encoded in
//! Avro with the Confluent framing, sent to Kafka by a supervised actor
//! ([`publisher`]) that resumes after the last confirmed event when it is
//! restarted ([`watermark`]).

mod publisher;
mod watermark;

pub use publisher::{encode, PublishError, PublishPlan, PublishReport};

use crate::supervision::{RestartPolicy, Supervision};
use actix::Supervisor;
use indicatif::ProgressBar;
use publisher::Publisher;
use rdkafka::producer::FutureProducer;

/// Publishes `plan` through `producer`, under the supervision policy, and
/// reports once every event is confirmed (or the publisher gave up).
/// Runs inside an actix system.
pub async fn publish(
    plan: PublishPlan,
    producer: FutureProducer,
    progress: ProgressBar,
    policy: RestartPolicy,
) -> Result<PublishReport, PublishError> {
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    let supervision = Supervision::new("publisher", policy);
    let _publisher =
        Supervisor::start(move |_| Publisher::new(plan, producer, progress, supervision, done_tx));
    done_rx.await.unwrap_or(Err(PublishError::Canceled))
}
