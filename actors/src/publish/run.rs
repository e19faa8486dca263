//! One run of the publisher: it starts a feeder at the confirmed mark,
//! hands each prepared message to the producer, keeps at most
//! `MAX_IN_FLIGHT` unconfirmed, and ends once every delivery is confirmed.
//! The confirmed mark it advances is where the next run resumes.

use super::feeder::{self, Encoding, Fed};
use super::publisher::{PublishError, PublishPlan};
use super::source::SharedSource;
use super::watermark::AckWatermark;
use futures::stream::{FuturesUnordered, StreamExt};
use futures::FutureExt;
use indicatif::ProgressBar;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::future_producer::OwnedDeliveryResult;
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Sends not yet confirmed, at most. Bounds memory and the resend window.
const MAX_IN_FLIGHT: usize = 50_000;

type DeliveryOutcome = Result<OwnedDeliveryResult, futures::channel::oneshot::Canceled>;
type Pending = Pin<Box<dyn Future<Output = (u64, DeliveryOutcome)>>>;

/// What a run shares with its actor: the confirmed mark and the counts.
#[derive(Clone)]
pub(super) struct Progress {
    /// Every item before this index is done.
    pub confirmed: Arc<AtomicU64>,
    pub delivered: Arc<AtomicU64>,
    pub bar: ProgressBar,
}

struct Run {
    watermark: AckWatermark,
    in_flight: FuturesUnordered<Pending>,
    progress: Progress,
    /// superstore_events_published_total{topic}: counted on acknowledgement.
    published: metrics::Counter,
}

impl Run {
    /// Item `index` is done: delivered, or nothing to deliver.
    fn done_with(&mut self, index: u64) {
        self.watermark.confirm(index);
        self.progress.confirmed.store(self.watermark.through(), Ordering::SeqCst);
        self.progress.bar.inc(1);
    }

    /// Waits for one delivery report.
    async fn settle_one(&mut self) -> Result<(), PublishError> {
        match self.in_flight.next().await {
            Some((index, Ok(Ok(_)))) => {
                // Confirmed by every in-sync replica: now it counts as published.
                self.progress.delivered.fetch_add(1, Ordering::Relaxed);
                self.published.increment(1);
                self.done_with(index);
                Ok(())
            }
            Some((index, Ok(Err((source, _))))) => Err(PublishError::Delivery { index, source }),
            Some((_, Err(_))) => Err(PublishError::Canceled),
            None => Ok(()),
        }
    }

    /// Hands one message to the producer, waiting while its queue is full.
    async fn send(
        &mut self,
        producer: &FutureProducer,
        topic: &str,
        (index, key, payload): (u64, &str, &[u8]),
    ) -> Result<(), PublishError> {
        let delivery: DeliveryFuture = loop {
            match producer.send_result(FutureRecord::to(topic).key(key).payload(payload)) {
                Ok(delivery) => break delivery,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                    self.settle_one().await?;
                    if self.in_flight.is_empty() {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                }
                Err((err, _)) => return Err(PublishError::Send(err)),
            }
        };
        self.in_flight.push(Box::pin(delivery.map(move |outcome| (index, outcome))));
        while self.in_flight.len() >= MAX_IN_FLIGHT {
            self.settle_one().await?;
        }
        Ok(())
    }
}

/// One run: from the confirmed mark to the end, then wait for every delivery.
/// The feeder reads and encodes ahead on its own thread; this loop sends.
pub(super) async fn run(
    plan: PublishPlan,
    source: SharedSource,
    producer: FutureProducer,
    progress: Progress,
) -> Result<(), PublishError> {
    let resume_at = progress.confirmed.load(Ordering::SeqCst);
    let started = Instant::now();
    let encoding = Encoding { version: plan.schema_version, schema_id: plan.schema_id };
    let (mut chunks, feeder) = feeder::spawn(source, resume_at, encoding)
        .map_err(|e| PublishError::Panicked(format!("cannot start the feeder thread: {e}")))?;
    let mut run = Run {
        watermark: AckWatermark::starting_at(resume_at),
        in_flight: FuturesUnordered::new(),
        progress,
        published: crate::metrics::events_published(&plan.topic),
    };
    while let Some(chunk) = chunks.recv().await {
        for fed in chunk? {
            let (index, key, payload) = match fed {
                Fed::Message { index, key, payload } => (index, key, payload),
                Fed::Skipped { index } => {
                    run.done_with(index);
                    continue;
                }
            };
            if let Some(rate) = plan.rate {
                let due = started + Duration::from_secs_f64((index - resume_at) as f64 / rate);
                tokio::time::sleep_until(due.into()).await;
            }
            run.send(&producer, &plan.topic, (index, &key, &payload)).await?;
        }
    }
    if feeder.join().is_err() {
        return Err(PublishError::Panicked("the feeder thread panicked".into()));
    }
    while !run.in_flight.is_empty() {
        run.settle_one().await?;
    }
    Ok(())
}
