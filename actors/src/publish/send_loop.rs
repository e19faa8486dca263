//! One run of the publisher, on a sending thread of its own: it starts a
//! feeder at the confirmed mark, hands each prepared message to the
//! producer, serves the delivery reports between chunks, keeps at most
//! `MAX_IN_FLIGHT` unconfirmed, and ends once every delivery is confirmed.
//! The confirmed mark it advances is where the next run resumes.
//!
//! The thread sends and polls in turn: the reports come back on it, so a
//! message costs neither a future nor a wake-up of another thread.

use crate::publish::delivery::PublishProducer;
use crate::publish::event_source::SharedSource;
use crate::publish::feeder::{self, Encoding, Fed};
use crate::publish::plan::{PublishError, PublishPlan};
use indicatif::ProgressBar;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, Producer, PurgeConfig};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Sends not yet confirmed, at most. Bounds memory and the resend window.
const MAX_IN_FLIGHT: i32 = 50_000;
/// The pause before looking for reports again while the sends are held
/// back. The thread sleeps rather than polls with a wait: librdkafka waits
/// in whole milliseconds, and rdkafka's poll spins out the rest of its wait
/// once a report has come in, which took CPU from the broker beside it.
const PAUSE: Duration = Duration::from_micros(200);
/// Messages due less than this far ahead are sent at once (the pace stays
/// exact on average: each message's time counts from the start).
const PACE_SLACK: Duration = Duration::from_millis(1);
/// How long the reports of a failed run may take to drain before the next.
const DRAIN_LIMIT: Duration = Duration::from_secs(30);

/// What a run shares with its actor: the confirmed mark and the counts.
#[derive(Clone)]
pub(super) struct Progress {
    /// Every item before this index is done.
    pub(crate) confirmed: Arc<AtomicU64>,
    pub(crate) delivered: Arc<AtomicU64>,
    pub(crate) bar: ProgressBar,
}

struct Sender<'a> {
    producer: &'a PublishProducer,
    topic: &'a str,
    progress: &'a Progress,
    /// superstore_events_published_total{topic}: counted on acknowledgement.
    published: metrics::Counter,
}

impl Sender<'_> {
    /// Item `index` has nothing to deliver: it is done at once.
    fn skip(&self, index: u64) {
        self.producer.context().lock().watermark.confirm(index);
    }

    /// Hands one message to the producer, serving reports while its queue is full.
    fn send(&self, index: u64, key: &[u8], payload: &[u8]) -> Result<(), PublishError> {
        let opaque = usize::try_from(index).expect("a source index fits a pointer-sized opaque");
        let mut record = BaseRecord::with_opaque_to(self.topic, opaque).key(key).payload(payload);
        loop {
            match self.producer.send(record) {
                Ok(()) => return Ok(()),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    std::thread::sleep(PAUSE);
                    self.settle()?;
                }
                Err((err, _)) => return Err(PublishError::Send(err)),
            }
        }
    }

    /// Serves the reports already there, then publishes what they confirmed.
    fn settle(&self) -> Result<(), PublishError> {
        let ledger = self.producer.context();
        // A poll without a wait serves one batch of reports: drain them all.
        loop {
            let before = ledger.lock().reports;
            self.producer.poll(Duration::ZERO);
            if ledger.lock().reports == before {
                break;
            }
        }
        let (through, delivered) = {
            let mut ledger = ledger.lock();
            if let Some((index, source)) = ledger.failure.take() {
                return Err(PublishError::Delivery { index, source });
            }
            (ledger.watermark.through(), std::mem::take(&mut ledger.delivered))
        };
        let before = self.progress.confirmed.swap(through, Ordering::SeqCst);
        self.progress.delivered.fetch_add(delivered, Ordering::Relaxed);
        self.published.increment(delivered);
        self.progress.bar.inc(through.saturating_sub(before));
        Ok(())
    }

    /// Waits until fewer than `limit` messages are unconfirmed.
    fn settle_below(&self, limit: i32) -> Result<(), PublishError> {
        self.settle()?;
        while self.producer.in_flight_count() >= limit.max(1) {
            std::thread::sleep(PAUSE);
            self.settle()?;
        }
        Ok(())
    }

    /// Waits for the time of a message published at a fixed rate, serving
    /// reports meanwhile.
    fn pace(&self, due: Instant) -> Result<(), PublishError> {
        let now = Instant::now();
        if due >= now + PACE_SLACK {
            std::thread::sleep(due - now);
            self.settle()?;
        }
        Ok(())
    }
}

/// Makes sure no report of an earlier, failed run reaches this one: what
/// that run left queued or in flight is purged and its reports drained
/// unheard. The events are sent again from the confirmed mark.
fn forget_earlier_runs(producer: &PublishProducer) {
    producer.context().stop_listening();
    if producer.in_flight_count() == 0 {
        return;
    }
    producer.purge(PurgeConfig::default().queue().inflight());
    let deadline = Instant::now() + DRAIN_LIMIT;
    while producer.in_flight_count() > 0 && Instant::now() < deadline {
        producer.poll(Duration::ZERO);
        std::thread::sleep(PAUSE);
    }
    if producer.in_flight_count() > 0 {
        tracing::warn!(
            left = producer.in_flight_count(),
            "reports of the earlier run still pending; they may count in this one"
        );
    }
}

/// One run: from the confirmed mark to the end, then wait for every delivery.
/// The feeder reads and encodes ahead on its own thread; this one sends.
/// Blocks: it runs on a thread of its own.
pub(super) fn run(
    plan: &PublishPlan,
    source: SharedSource,
    producer: &PublishProducer,
    progress: &Progress,
) -> Result<(), PublishError> {
    forget_earlier_runs(producer);
    let resume_at = progress.confirmed.load(Ordering::SeqCst);
    producer.context().listen_from(resume_at);
    let started = Instant::now();
    let encoding = Encoding {
        version: plan.schema_version,
        schema_id: plan.schema_id,
        return_schema_id: plan.return_schema_id,
    };
    let (chunks, feeder) = feeder::spawn(source, resume_at, encoding)
        .map_err(|e| PublishError::Panicked(format!("cannot start the feeder thread: {e}")))?;
    let sender = Sender {
        producer,
        topic: &plan.topic,
        progress,
        published: crate::metrics::events_published(&plan.topic),
    };
    for chunk in chunks.iter() {
        for fed in chunk?.items() {
            let (index, key, payload) = match fed {
                Fed::Message { index, key, payload } => (index, key, payload),
                Fed::Skipped { index } => {
                    sender.skip(index);
                    continue;
                }
            };
            if let Some(rate) = plan.rate {
                sender
                    .pace(started + Duration::from_secs_f64((index - resume_at) as f64 / rate))?;
            }
            sender.send(index, key, payload)?;
        }
        sender.settle_below(MAX_IN_FLIGHT)?;
    }
    if feeder.join().is_err() {
        return Err(PublishError::Panicked("the feeder thread panicked".into()));
    }
    sender.settle_below(0)?;
    sender.settle()
}
