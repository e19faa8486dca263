//! The publisher actor: draws events from the seeded generator, encodes them
//! in Avro with the Confluent framing, and sends them keyed by `order_id`
//! through an idempotent producer.
//!
//! It is supervised, under the one policy of `crate::supervision`. A failed
//! run (a delivery error, even a panic) stops the actor; its supervisor
//! restarts it after a backoff, and the new run regenerates the same
//! sequence from the seed and resumes after the last event whose delivery,
//! and that of every event before it, was confirmed. Past the policy's
//! budget it gives up and reports why.
//! Events past that mark may be sent twice: the pipeline deduplicates by
//! `event_id`, so at-least-once is what this stage promises. Each
//! acknowledgement is counted in `superstore_events_published_total`.

use super::watermark::AckWatermark;
use crate::supervision::{panic_message, Decision, GaveUp, Supervision};
use crate::wire;
use actix::prelude::*;
use futures::stream::{FuturesUnordered, StreamExt};
use futures::FutureExt;
use indicatif::ProgressBar;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{FutureProducer, FutureRecord};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use superstore_domain::generator::{GeneratorConfig, SaleGenerator};
use superstore_domain::{sale_schema, sale_to_avro};
use tokio::sync::oneshot;

/// Sends not yet confirmed, at most. Bounds memory and the resend window.
const MAX_IN_FLIGHT: usize = 50_000;

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("Kafka refused a message: {0}")]
    Send(KafkaError),
    #[error("delivery of event #{index} failed: {source}")]
    Delivery { index: u64, source: KafkaError },
    #[error("the producer dropped a delivery report")]
    Canceled,
    #[error("cannot encode event #{index}: {detail}")]
    Encode { index: u64, detail: String },
    #[error("the run panicked: {0}")]
    Panicked(String),
    #[error(transparent)]
    GaveUp(#[from] GaveUp),
}

/// What one run of `generate` is asked to publish.
#[derive(Clone)]
pub struct PublishPlan {
    pub config: GeneratorConfig,
    pub topic: String,
    pub schema_id: i32,
    /// The version of schemas/sale the events are written with.
    pub schema_version: u32,
    /// Events per second; None publishes as fast as Kafka takes them.
    pub rate: Option<f64>,
}

pub struct Publisher {
    plan: PublishPlan,
    producer: FutureProducer,
    progress: ProgressBar,
    /// Every event before this index is confirmed delivered.
    confirmed: Arc<AtomicU64>,
    delivered: Arc<AtomicU64>,
    supervision: Supervision,
    /// The wait before the next run starts.
    backoff: Duration,
    restarts: u32,
    done: Option<oneshot::Sender<Result<PublishReport, PublishError>>>,
}

#[derive(Debug, Clone)]
pub struct PublishReport {
    pub delivered: u64,
    pub restarts: u32,
}

impl Publisher {
    pub fn new(
        plan: PublishPlan,
        producer: FutureProducer,
        progress: ProgressBar,
        supervision: Supervision,
        done: oneshot::Sender<Result<PublishReport, PublishError>>,
    ) -> Self {
        Publisher {
            plan,
            producer,
            progress,
            confirmed: Arc::default(),
            delivered: Arc::default(),
            supervision,
            backoff: Duration::ZERO,
            restarts: 0,
            done: Some(done),
        }
    }

    fn start_run(&mut self, ctx: &mut Context<Self>) {
        let run = publish(
            self.plan.clone(),
            self.producer.clone(),
            self.progress.clone(),
            self.confirmed.clone(),
            self.delivered.clone(),
        );
        let guarded = AssertUnwindSafe(run).catch_unwind().map(|outcome| match outcome {
            Ok(result) => result,
            Err(payload) => Err(PublishError::Panicked(panic_message(&*payload))),
        });
        ctx.spawn(guarded.into_actor(self).map(|result, act, ctx| act.finish_run(result, ctx)));
    }

    fn finish_run(&mut self, result: Result<(), PublishError>, ctx: &mut Context<Self>) {
        match result {
            Ok(()) => {
                let report = PublishReport {
                    delivered: self.delivered.load(Ordering::SeqCst),
                    restarts: self.restarts,
                };
                if let Some(done) = self.done.take() {
                    let _ = done.send(Ok(report));
                }
            }
            Err(err) => match self.supervision.failed(&err) {
                Decision::RestartAfter(wait) => {
                    self.backoff = wait;
                    // Stopping hands the actor back to its supervisor, which restarts it.
                    ctx.stop();
                }
                Decision::GiveUp(gave_up) => {
                    if let Some(done) = self.done.take() {
                        let _ = done.send(Err(gave_up.into()));
                    }
                }
            },
        }
    }
}

impl Actor for Publisher {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.run_later(self.backoff, |act, ctx| act.start_run(ctx));
    }
}

impl Supervised for Publisher {
    fn restarting(&mut self, _ctx: &mut Context<Self>) {
        self.restarts += 1;
        tracing::info!(
            restarts = self.restarts,
            resume_at = self.confirmed.load(Ordering::SeqCst),
            "publisher restarting"
        );
    }
}

/// One run: from the confirmed mark to the end, then wait for every delivery.
async fn publish(
    plan: PublishPlan,
    producer: FutureProducer,
    progress: ProgressBar,
    confirmed: Arc<AtomicU64>,
    delivered: Arc<AtomicU64>,
) -> Result<(), PublishError> {
    let resume_at = confirmed.load(Ordering::SeqCst);
    let generator = SaleGenerator::new(plan.config.clone())
        .map_err(|e| PublishError::Encode { index: 0, detail: e.to_string() })?;
    let mut watermark = AckWatermark::starting_at(resume_at);
    let mut in_flight = FuturesUnordered::new();
    let started = Instant::now();

    let settle_one = |outcome: Option<(u64, DeliveryOutcome)>,
                      watermark: &mut AckWatermark|
     -> Result<(), PublishError> {
        match outcome {
            Some((index, Ok(Ok(_)))) => {
                watermark.confirm(index);
                confirmed.store(watermark.through(), Ordering::SeqCst);
                delivered.fetch_add(1, Ordering::Relaxed);
                crate::metrics::events_published(&plan.topic, 1);
                progress.inc(1);
                Ok(())
            }
            Some((index, Ok(Err((source, _))))) => Err(PublishError::Delivery { index, source }),
            Some((_, Err(_))) => Err(PublishError::Canceled),
            None => Ok(()),
        }
    };

    for (offset, generated) in generator.skip(resume_at as usize).enumerate() {
        let index = resume_at + offset as u64;
        if let Some(rate) = plan.rate {
            let due = started + Duration::from_secs_f64(offset as f64 / rate);
            tokio::time::sleep_until(due.into()).await;
        }
        let payload = encode(&generated.event, plan.schema_version, plan.schema_id)
            .map_err(|detail| PublishError::Encode { index, detail })?;
        let key = generated.event.order_id.as_str();
        let delivery = loop {
            match producer.send_result(FutureRecord::to(&plan.topic).key(key).payload(&payload)) {
                Ok(delivery) => break delivery,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                    // librdkafka's queue is full: wait for a delivery, then retry.
                    let next = in_flight.next().await;
                    settle_one(next, &mut watermark)?;
                    if in_flight.is_empty() {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                }
                Err((err, _)) => return Err(PublishError::Send(err)),
            }
        };
        in_flight.push(delivery.map(move |outcome| (index, outcome)));
        while in_flight.len() >= MAX_IN_FLIGHT {
            let next = in_flight.next().await;
            settle_one(next, &mut watermark)?;
        }
    }
    while let Some(outcome) = in_flight.next().await {
        settle_one(Some(outcome), &mut watermark)?;
    }
    Ok(())
}

type DeliveryOutcome = Result<
    rdkafka::producer::future_producer::OwnedDeliveryResult,
    futures::channel::oneshot::Canceled,
>;

/// The Confluent-framed Avro bytes of an event, written with
/// `schemas/sale/v{version}.avsc` registered as `schema_id`.
pub fn encode(
    event: &superstore_domain::SaleEvent,
    version: u32,
    schema_id: i32,
) -> Result<Vec<u8>, String> {
    let schema =
        sale_schema(version).ok_or_else(|| format!("schema version {version} is not released"))?;
    let value = sale_to_avro(event, version).map_err(|e| e.to_string())?;
    let datum = apache_avro::to_avro_datum(schema, value).map_err(|e| e.to_string())?;
    Ok(wire::frame(schema_id, &datum))
}
