//! The publisher shared by `superstore generate` and `superstore import`:
//! sale events from a restartable source ([`event_source`]), read and encoded in
//! Avro with the Confluent framing on a thread of their own ([`feeder`]),
//! sent to Kafka keyed by `order_id` through an idempotent producer ([`send_loop`],
//! on a sending thread that also serves the delivery reports: [`delivery`])
//! by a supervised actor ([`publisher`]) that resumes after the last
//! confirmed event when it is restarted ([`watermark`]).
//! Generated and imported events take this one path, and then the pipeline's.

mod delivery;
pub(crate) mod event_source;
mod feeder;
mod plan;
pub mod producer;
mod publisher;
mod send_loop;
mod watermark;

pub(crate) use delivery::{DeliveryLedger, PublishProducer};
pub use event_source::{EventSource, SharedSource, SourceError, SourceItem, SourceItems};
pub use plan::{PublishError, PublishPlan, PublishReport};

use crate::supervision::{RestartPolicy, Supervision};
use actix::Supervisor;
use indicatif::ProgressBar;
use publisher::Publisher;
use std::sync::Arc;

/// Publishes every item of `source` as `plan` says, through `producer`,
/// under the supervision policy, and reports once every event is confirmed
/// (or the publisher gave up). Runs inside an actix system.
pub async fn publish(
    plan: PublishPlan,
    source: SharedSource,
    producer: PublishProducer,
    progress: ProgressBar,
    policy: RestartPolicy,
) -> Result<PublishReport, PublishError> {
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    let producer = Arc::new(producer);
    let supervision = Supervision::new("publisher", policy);
    let _publisher = Supervisor::start(move |_| {
        Publisher::new(plan, source, producer, progress, supervision, done_tx)
    });
    done_rx.await.unwrap_or(Err(PublishError::Canceled))
}
