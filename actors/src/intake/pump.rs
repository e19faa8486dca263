//! The consuming loop of one source incarnation: polls Kafka, hands chunks
//! of records to the decoder, and applies backpressure.
//!
//! Backpressure: the consumer must keep polling, or Kafka puts it out of
//! its group after `max.poll.interval.ms` (and the rebalance re-reads what
//! was in flight). So the loop never waits on a full stage:
//! - it pauses its partitions once the records in flight (consumed, not yet
//!   committed by the writer) reach the limit by count (`--max-in-flight`)
//!   or by bytes (`--max-in-flight-bytes`, the keys and values as read), and
//!   a chunk is cut short when it would pass the byte limit, so the data in
//!   flight stays within the limit plus one record;
//! - a chunk the decoder's mailbox cannot take now is not awaited blindly:
//!   if the mailbox has no room within [`KEEP_POLLING_EVERY`], the
//!   partitions are paused and the consumer is polled at that pace while the
//!   chunk waits. (Pausing at once on a full mailbox, which happens all the
//!   time at full speed, would throw away librdkafka's prefetched records on
//!   every pause and cost a third of the throughput.)
//!
//! Polling a paused consumer returns no records (one already fetched is
//! kept and handed on next, in order), and keeps it in its group.

use crate::flow::envelope::{Envelope, Flush, Records};
use crate::flow::ledger::Ledger;
use crate::flow::outcomes::{SourceHalt, StopReason};
use crate::intake::assignment::ResumeFromStaging;
use crate::intake::received::received_envelope;
use crate::intake::source_settings::SourceSettings;
use crate::stages::decoder::Decoder;
use actix::prelude::*;
use futures::FutureExt;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub(crate) type KafkaConsumer = StreamConsumer<ResumeFromStaging>;

/// How long one poll waits for a first record.
const POLL_WAIT: Duration = Duration::from_millis(200);
/// How often a consumer waiting on a full stage is polled (paused).
pub(crate) const KEEP_POLLING_EVERY: Duration = Duration::from_millis(500);
const KAFKA_COMMIT_EVERY: Duration = Duration::from_secs(1);

pub(crate) struct Pump {
    pub(crate) settings: SourceSettings,
    pub(crate) consumer: Arc<KafkaConsumer>,
    pub(crate) assigned: Arc<Mutex<BTreeSet<i32>>>,
    pub(crate) decoder: Addr<Decoder>,
    pub(crate) ledger: Arc<Ledger>,
    pub(crate) stopping: Arc<AtomicBool>,
    pub(crate) halt: Arc<Mutex<Option<SourceHalt>>>,
}

impl Pump {
    pub(crate) async fn run(self) -> Result<StopReason, String> {
        let mut paused = false;
        let mut last_kafka_commit = Instant::now();
        // Records polled while a chunk waited: handed on first, in order.
        let mut held_back = Vec::new();
        let reason = loop {
            // Halting: what is in flight is still committed, then the run ends.
            if self.stopping.load(Ordering::SeqCst) || self.halt.lock().expect("halt").is_some() {
                break StopReason::Signal;
            }
            if last_kafka_commit.elapsed() >= KAFKA_COMMIT_EVERY {
                self.halt_if_consumer_failed();
                self.commit_to_kafka(CommitMode::Async);
                last_kafka_commit = Instant::now();
            }
            let behind = self.over_limits();
            if behind != paused {
                self.set_paused(behind);
                paused = behind;
            }
            let mut chunk = std::mem::take(&mut held_back);
            if chunk.is_empty() {
                chunk = self.poll_chunk().await;
            }
            if !chunk.is_empty() {
                self.hand_on(chunk, &mut paused, &mut held_back).await?;
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

    /// The records in flight have reached a limit.
    fn over_limits(&self) -> bool {
        self.ledger.in_flight() >= self.settings.max_in_flight
            || self.ledger.in_flight_bytes() >= self.settings.max_in_flight_bytes
    }

    /// Hands `chunk` to the decoder without ever leaving the consumer
    /// unpolled for long: while the mailbox has no room, the partitions are
    /// paused and the consumer is polled every [`KEEP_POLLING_EVERY`];
    /// anything it returns goes to `held_back`.
    async fn hand_on(
        &self,
        chunk: Vec<Envelope>,
        paused: &mut bool,
        held_back: &mut Vec<Envelope>,
    ) -> Result<(), String> {
        let send = self.decoder.send(Records(chunk));
        tokio::pin!(send);
        loop {
            tokio::select! {
                sent = &mut send => {
                    return sent.map_err(|e| format!("decoder unavailable: {e}"));
                }
                () = tokio::time::sleep(KEEP_POLLING_EVERY) => {
                    if !*paused {
                        self.set_paused(true);
                        *paused = true;
                    }
                    if let Some(received) = self.consumer.recv().now_or_never() {
                        self.take(held_back, received);
                    }
                }
            }
        }
    }

    /// One record (waiting up to POLL_WAIT), then whatever is already
    /// buffered, up to the chunk size and the byte limit.
    async fn poll_chunk(&self) -> Vec<Envelope> {
        let mut chunk = Vec::new();
        match tokio::time::timeout(POLL_WAIT, self.consumer.recv()).await {
            Err(_) => return chunk,
            Ok(first) => self.take(&mut chunk, first),
        }
        while chunk.len() < self.settings.chunk_size
            && self.ledger.in_flight_bytes() < self.settings.max_in_flight_bytes
        {
            match self.consumer.recv().now_or_never() {
                Some(next) => self.take(&mut chunk, next),
                None => break,
            }
        }
        chunk
    }

    /// Takes a received record into `chunk` (counting it in flight), or
    /// deals with the error.
    fn take(
        &self,
        chunk: &mut Vec<Envelope>,
        received: Result<rdkafka::message::BorrowedMessage<'_>, KafkaError>,
    ) {
        match received {
            Ok(message) => {
                let envelope = received_envelope(&message);
                self.ledger.consumed(1, envelope.size_bytes());
                chunk.push(envelope);
            }
            Err(KafkaError::MessageConsumption(RDKafkaErrorCode::AutoOffsetReset)) => {
                let mut halt = self.halt.lock().expect("halt lock");
                if halt.is_none() {
                    let why =
                        "a stored offset is outside its partition's log (offset out of range)";
                    tracing::error!(reason = why, "halting the pipeline");
                    *halt = Some(SourceHalt::OffsetsInvalid(why.into()));
                }
            }
            // The outage log (the consumer's context) reports unreachable
            // brokers once per outage; their repeats here say nothing new.
            Err(
                e @ KafkaError::MessageConsumption(
                    RDKafkaErrorCode::BrokerTransportFailure | RDKafkaErrorCode::AllBrokersDown,
                ),
            ) => tracing::debug!(error = %e, "Kafka consumer error"),
            // librdkafka retries broker errors by itself; they are reported, not fatal.
            Err(e) => {
                tracing::warn!(error = %e, "Kafka consumer error");
                self.halt_if_consumer_failed();
            }
        }
    }

    /// Halts the run if librdkafka has declared the consumer failed for
    /// good (it then returns nothing more): fenced by another instance with
    /// the same `group.instance.id`, or another fatal error.
    fn halt_if_consumer_failed(&self) {
        let Some((code, reason)) = self.consumer.client().fatal_error() else { return };
        let mut halt = self.halt.lock().expect("halt lock");
        if halt.is_some() {
            return;
        }
        let failed = match code {
            RDKafkaErrorCode::FencedInstanceId => SourceHalt::Fenced {
                group: self.settings.group_id.clone(),
                instance_id: self.settings.instance_id.clone().unwrap_or_default(),
            },
            _ => SourceHalt::ConsumerFailed(reason),
        };
        tracing::error!(reason = %failed, "halting the pipeline");
        *halt = Some(failed);
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
                in_flight_bytes = self.ledger.in_flight_bytes(),
                "pipeline behind: partitions paused"
            ),
            Ok(()) => tracing::debug!("pipeline caught up: partitions resumed"),
            Err(e) => tracing::warn!(error = %e, "pause/resume failed"),
        }
    }

    /// Every assigned partition is read to its end and committed to staging.
    fn is_drained(&self) -> bool {
        // A held return is not accounted for yet: the run waits out its bound.
        if self.ledger.in_flight() > 0 || self.ledger.held_returns() != Some(0) {
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

    /// Tells Kafka what PostgreSQL already holds of the partitions this
    /// consumer holds, so that lag tools see it. Nothing while none is
    /// assigned (during a rebalance, or before the first assignment): Kafka
    /// would refuse such a commit, every second.
    fn commit_to_kafka(&self, mode: CommitMode) {
        let assigned = self.assigned.lock().expect("assignment lock").clone();
        let committed: Vec<(i32, i64)> = self
            .ledger
            .committed_offsets()
            .into_iter()
            .filter(|(partition, _)| assigned.contains(partition))
            .collect();
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
