//! The delivery reports of the publisher's producer. Each message carries
//! its source index as the delivery opaque (no allocation, no future per
//! message); librdkafka hands the reports back, in batches, on the thread
//! that polls the producer, which is the run's sending thread. The ledger
//! turns them into the confirmed mark a restart resumes from.
//!
//! Reports of an earlier, failed run are drained unheard before the next
//! run listens (see `run.rs`): they must not fail it.

use super::watermark::AckWatermark;
use rdkafka::error::KafkaError;
use rdkafka::producer::{BaseProducer, DeliveryResult, ProducerContext};
use rdkafka::ClientContext;
use std::sync::{Mutex, MutexGuard};

/// The producer every publisher run sends through.
pub(crate) type PublishProducer = BaseProducer<DeliveryLedger>;

/// The producer's context: where its delivery reports are kept.
#[derive(Debug, Default)]
pub struct DeliveryLedger {
    // Locked by the polling thread in the report callback and by the same
    // thread between polls: never contended, and never held across a poll.
    state: Mutex<Ledger>,
}

/// What the reports said since the current run started listening.
#[derive(Debug, Default)]
pub(super) struct Ledger {
    listening: bool,
    pub(crate) watermark: AckWatermark,
    /// Confirmed deliveries not yet counted by the run.
    pub(crate) delivered: u64,
    /// Reports of any kind received, heard or not.
    pub(crate) reports: u64,
    /// The first failed delivery: its index and why.
    pub(crate) failure: Option<(u64, KafkaError)>,
}

impl DeliveryLedger {
    pub(super) fn lock(&self) -> MutexGuard<'_, Ledger> {
        // A panic while holding the lock left counts, not broken invariants.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// From now on reports count, for a run that resumes at `resume_at`.
    pub(super) fn listen_from(&self, resume_at: u64) {
        let mut ledger = self.lock();
        *ledger = Ledger {
            listening: true,
            watermark: AckWatermark::starting_at(resume_at),
            reports: ledger.reports,
            ..Ledger::default()
        };
    }

    /// From now on reports are drained unheard.
    pub(super) fn stop_listening(&self) {
        self.lock().listening = false;
    }
}

impl ClientContext for DeliveryLedger {}

impl ProducerContext for DeliveryLedger {
    /// The index of the message in its source.
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, index: usize) {
        let mut ledger = self.lock();
        ledger.reports += 1;
        if !ledger.listening {
            return;
        }
        let index = index as u64;
        match result {
            // Confirmed by every in-sync replica: now it counts as published.
            Ok(_) => {
                ledger.delivered += 1;
                ledger.watermark.confirm(index);
            }
            Err((error, _)) => {
                if ledger.failure.is_none() {
                    ledger.failure = Some((index, error.clone()));
                }
            }
        }
    }
}
