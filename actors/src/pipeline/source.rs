//! Stage 1, the source: consumes the sales topic in group
//! `superstore-staging` (auto commit off) and hands records to the decoder
//! in chunks, in offset order per partition.
//!
//! Accepts: nothing from upstream; `Shutdown` from the runner.
//! Emits: `Records` with every consumed record (none is filtered here), then
//! `Flush` when it stops.
//! Backpressure: when more than `max_in_flight` consumed records are not yet
//! committed by the writer, it pauses its partitions (and keeps polling, so
//! it stays in the group) until the writer catches up.
//! Kafka offsets are committed only after PostgreSQL has them, for lag
//! visibility; resuming always uses PostgreSQL's (see `assignment`).

use super::assignment::ResumeFromStaging;
use super::decoder::Decoder;
use super::envelope::{Coordinates, Envelope, Flush, Records, Verdict};
use super::identity_watch::IdentityWatch;
use super::ledger::Ledger;
use crate::supervision::{panic_message, Decision, Escalation, Supervision};
use actix::prelude::*;
use futures::FutureExt;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message as _;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use superstore_database::PgPool;

#[derive(Clone)]
pub struct SourceSettings {
    pub bootstrap: String,
    pub group_id: String,
    pub topic: String,
    /// Kafka's id of the topic, as checked before the run.
    pub topic_id: String,
    pub pool: PgPool,
    /// Records per chunk handed to the decoder.
    pub chunk_size: usize,
    /// Consumed but uncommitted records above which partitions are paused.
    pub max_in_flight: u64,
    /// Stop once every assigned partition is drained and committed.
    pub until_idle: bool,
}

/// Why the source stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    Idle,
    Signal,
}

/// Why the source stopped the run without finishing it: restarting would
/// not help, so the command ends with this message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceHalt {
    /// Stopping on a signal, the final flush was not confirmed: the open
    /// batch was rolled back whole, and the next run resumes from the
    /// stored offsets.
    #[error(
        "stopping, the final flush was not confirmed ({0}); the open batch was rolled back \
         whole and the next run resumes from the stored offsets"
    )]
    FlushLost(String),
    /// The stored offsets no longer fit the topic: it was deleted and
    /// created again while the pipeline ran, or an offset is outside a
    /// partition's log. Resuming would skip records without a word.
    #[error("the stored offsets do not fit the topic: {0}")]
    OffsetsInvalid(String),
    /// PostgreSQL's offsets could not be read at an assignment, even after
    /// retries; Kafka's committed offsets are not a substitute.
    #[error("cannot read the stored offsets from PostgreSQL: {0}")]
    OffsetsUnreadable(String),
}

/// How the source ended: stopped as asked, or halted.
pub type SourceOutcome = Result<StopReason, SourceHalt>;

#[derive(Message)]
#[rtype(result = "()")]
pub struct Shutdown;

type Consumer_ = StreamConsumer<ResumeFromStaging>;

pub struct Source {
    settings: SourceSettings,
    decoder: Addr<Decoder>,
    ledger: Arc<Ledger>,
    stopping: Arc<AtomicBool>,
    /// Why the run must stop without a restart, once something says so.
    halt: Arc<Mutex<Option<SourceHalt>>>,
    /// The running [`IdentityWatch`] of this incarnation.
    watch: Option<SpawnHandle>,
    supervision: Supervision,
    escalation: Escalation,
    finished: Option<tokio::sync::oneshot::Sender<SourceOutcome>>,
}

impl Source {
    pub fn new(
        settings: SourceSettings,
        decoder: Addr<Decoder>,
        ledger: Arc<Ledger>,
        supervision: Supervision,
        escalation: Escalation,
        finished: tokio::sync::oneshot::Sender<SourceOutcome>,
    ) -> Self {
        let (stopping, halt) = (Arc::default(), Arc::default());
        let finished = Some(finished);
        let watch = None;
        Source {
            settings,
            decoder,
            ledger,
            stopping,
            halt,
            watch,
            supervision,
            escalation,
            finished,
        }
    }

    /// Restarts this incarnation after the policy's backoff (stopping hands
    /// the actor back to its supervisor), or reports that it gave up.
    fn fail(&mut self, ctx: &mut Context<Self>, error: &str) {
        match self.supervision.failed(&error) {
            Decision::RestartAfter(wait) => {
                ctx.run_later(wait, |_, ctx| ctx.stop());
            }
            Decision::GiveUp(gave_up) => self.escalation.report(gave_up),
        }
    }

    fn consumer(&self, assigned: Arc<Mutex<BTreeSet<i32>>>) -> Result<Arc<Consumer_>, KafkaError> {
        let context = ResumeFromStaging {
            pool: self.settings.pool.clone(),
            group_id: self.settings.group_id.clone(),
            topic: self.settings.topic.clone(),
            topic_id: self.settings.topic_id.clone(),
            ledger: self.ledger.clone(),
            assigned,
            halt: self.halt.clone(),
        };
        let consumer: Consumer_ = ClientConfig::new()
            .set("bootstrap.servers", &self.settings.bootstrap)
            .set("group.id", &self.settings.group_id)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            // Every position is set from PostgreSQL; one outside the log is an
            // error to report, never a silent jump to either end.
            .set("auto.offset.reset", "error")
            .set("partition.assignment.strategy", "range")
            .set("session.timeout.ms", "10000")
            .create_with_context(context)?;
        consumer.subscribe(&[&self.settings.topic])?;
        Ok(Arc::new(consumer))
    }
}

impl Actor for Source {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        let assigned = Arc::new(Mutex::new(BTreeSet::new()));
        let consumer = match self.consumer(assigned.clone()) {
            Ok(consumer) => consumer,
            Err(e) => return self.fail(ctx, &format!("cannot create the Kafka consumer: {e}")),
        };
        let pump = Pump {
            settings: self.settings.clone(),
            consumer,
            assigned,
            decoder: self.decoder.clone(),
            ledger: self.ledger.clone(),
            stopping: self.stopping.clone(),
            halt: self.halt.clone(),
        };
        let watch = IdentityWatch {
            bootstrap: self.settings.bootstrap.clone(),
            topic: self.settings.topic.clone(),
            topic_id: self.settings.topic_id.clone(),
            halt: self.halt.clone(),
        };
        self.watch = Some(ctx.spawn(watch.run().into_actor(self)));
        let run = std::panic::AssertUnwindSafe(pump.run()).catch_unwind();
        ctx.spawn(run.into_actor(self).map(|outcome, act, ctx| match outcome {
            _ if act.halted() => {
                let halt = act.halt.lock().expect("halt lock").take().expect("halted");
                act.finish(Err(halt))
            }
            Ok(Ok(reason)) => act.finish(Ok(reason)),
            // A restart would stop again at once, failing the same way.
            Ok(Err(e)) if act.stopping.load(Ordering::SeqCst) => {
                act.finish(Err(SourceHalt::FlushLost(e)))
            }
            Ok(Err(e)) => act.fail(ctx, &e),
            Err(panic) => act.fail(ctx, &format!("panicked: {}", panic_message(&*panic))),
        }));
    }
}

impl Source {
    fn halted(&self) -> bool {
        self.halt.lock().expect("halt lock").is_some()
    }

    fn finish(&mut self, outcome: SourceOutcome) {
        if let Some(finished) = self.finished.take() {
            let _ = finished.send(outcome);
        }
    }
}

impl Supervised for Source {
    fn restarting(&mut self, ctx: &mut Context<Self>) {
        if let Some(watch) = self.watch.take() {
            ctx.cancel_future(watch);
        }
        self.ledger.restarted();
        let failures = self.supervision.recent_failures();
        tracing::warn!(failures, "source restarting; it resumes from the staged offsets");
    }
}

impl Handler<Shutdown> for Source {
    type Result = ();

    fn handle(&mut self, _: Shutdown, _ctx: &mut Context<Self>) {
        self.stopping.store(true, Ordering::SeqCst);
    }
}

/// The consuming loop of one source incarnation.
struct Pump {
    settings: SourceSettings,
    consumer: Arc<Consumer_>,
    assigned: Arc<Mutex<BTreeSet<i32>>>,
    decoder: Addr<Decoder>,
    ledger: Arc<Ledger>,
    stopping: Arc<AtomicBool>,
    halt: Arc<Mutex<Option<SourceHalt>>>,
}

const POLL_WAIT: Duration = Duration::from_millis(200);
const KAFKA_COMMIT_EVERY: Duration = Duration::from_secs(1);

impl Pump {
    async fn run(self) -> Result<StopReason, String> {
        let mut paused = false;
        let mut last_kafka_commit = Instant::now();
        let reason = loop {
            // Halting: what is in flight is still committed, then the run ends.
            if self.stopping.load(Ordering::SeqCst) || self.halt.lock().expect("halt").is_some() {
                break StopReason::Signal;
            }
            if last_kafka_commit.elapsed() >= KAFKA_COMMIT_EVERY {
                self.commit_to_kafka(CommitMode::Async);
                last_kafka_commit = Instant::now();
            }
            let behind = self.ledger.in_flight() >= self.settings.max_in_flight;
            if behind != paused {
                self.set_paused(behind);
                paused = behind;
            }
            let chunk = self.poll_chunk().await?;
            if !chunk.is_empty() {
                self.ledger.consumed(chunk.len() as u64);
                self.decoder
                    .send(Records(chunk))
                    .await
                    .map_err(|e| format!("decoder unavailable: {e}"))?;
            } else if self.settings.until_idle && self.is_drained() {
                break StopReason::Idle;
            }
        };
        // Everything consumed so far is in the chain: push it through and wait.
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        self.decoder.send(Flush(done_tx)).await.map_err(|e| format!("decoder unavailable: {e}"))?;
        done_rx.await.map_err(|_| "the writer did not confirm the final flush".to_owned())?;
        self.commit_to_kafka(CommitMode::Sync);
        Ok(reason)
    }

    /// One record (waiting up to POLL_WAIT), then whatever is already buffered.
    async fn poll_chunk(&self) -> Result<Vec<Envelope>, String> {
        let mut chunk = Vec::new();
        match tokio::time::timeout(POLL_WAIT, self.consumer.recv()).await {
            Err(_) => return Ok(chunk),
            Ok(first) => self.push(&mut chunk, first),
        }
        while chunk.len() < self.settings.chunk_size {
            match self.consumer.recv().now_or_never() {
                Some(next) => self.push(&mut chunk, next),
                None => break,
            }
        }
        Ok(chunk)
    }

    fn push(
        &self,
        chunk: &mut Vec<Envelope>,
        received: Result<rdkafka::message::BorrowedMessage<'_>, KafkaError>,
    ) {
        match received {
            Ok(message) => chunk.push(Envelope {
                coordinates: Coordinates {
                    partition: message.partition(),
                    offset: message.offset(),
                },
                key: message.key().map(<[u8]>::to_vec),
                payload: message.payload().map(<[u8]>::to_vec),
                verdict: Verdict::Raw,
            }),
            Err(KafkaError::MessageConsumption(RDKafkaErrorCode::AutoOffsetReset)) => {
                let mut halt = self.halt.lock().expect("halt lock");
                if halt.is_none() {
                    let why =
                        "a stored offset is outside its partition's log (offset out of range)";
                    tracing::error!(reason = why, "halting the pipeline");
                    *halt = Some(SourceHalt::OffsetsInvalid(why.into()));
                }
            }
            // librdkafka retries broker errors by itself; they are reported, not fatal.
            Err(e) => tracing::warn!(error = %e, "Kafka consumer error"),
        }
    }

    fn set_paused(&self, pause: bool) {
        let Ok(assignment) = self.consumer.assignment() else { return };
        let result = if pause {
            self.consumer.pause(&assignment)
        } else {
            self.consumer.resume(&assignment)
        };
        match result {
            Ok(()) if pause => tracing::debug!(
                in_flight = self.ledger.in_flight(),
                "writer behind: partitions paused"
            ),
            Ok(()) => tracing::debug!("writer caught up: partitions resumed"),
            Err(e) => tracing::warn!(error = %e, "pause/resume failed"),
        }
    }

    /// Every assigned partition is read to its end and committed to staging.
    fn is_drained(&self) -> bool {
        if self.ledger.in_flight() > 0 {
            return false;
        }
        let assigned: Vec<i32> =
            self.assigned.lock().expect("assignment lock").iter().copied().collect();
        if assigned.is_empty() {
            return false;
        }
        let committed = self.ledger.committed_offsets();
        let positions = self.consumer.position().ok();
        assigned.iter().all(|&partition| {
            let Ok((low, high)) = self.consumer.fetch_watermarks(
                &self.settings.topic,
                partition,
                Duration::from_secs(2),
            ) else {
                return false;
            };
            let position = positions
                .as_ref()
                .and_then(|p| p.find_partition(&self.settings.topic, partition))
                .and_then(|e| match e.offset() {
                    Offset::Offset(n) => Some(n),
                    _ => None,
                });
            let reached = committed.get(&partition).copied().max(position).unwrap_or(low);
            high <= low || reached >= high
        })
    }

    /// Tells Kafka what PostgreSQL already holds, so that lag tools see it.
    fn commit_to_kafka(&self, mode: CommitMode) {
        let committed = self.ledger.committed_offsets();
        if committed.is_empty() {
            return;
        }
        let mut tpl = TopicPartitionList::new();
        for (partition, next) in committed {
            if tpl
                .add_partition_offset(&self.settings.topic, partition, Offset::Offset(next))
                .is_err()
            {
                return;
            }
        }
        if let Err(e) = self.consumer.commit(&tpl, mode) {
            tracing::debug!(error = %e, "Kafka offset commit failed (lag view only)");
        }
    }
}
