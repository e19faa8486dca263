//! State the source and the writer share: how many consumed records, and
//! how many of their bytes, are not yet committed (the backpressure gauges,
//! with their peaks for the summary), the next offset committed to
//! PostgreSQL per partition (for idleness and for Kafka's lag view), and the
//! run's counters for the closing summary.

use crate::flow::outcomes::BatchOutcome;
use crate::flow::outcomes::DrainReport;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// The run's shared state and counters; one per run, behind an `Arc`.
#[derive(Debug, Default)]
pub struct Ledger {
    in_flight: AtomicU64,
    in_flight_bytes: AtomicU64,
    peak_in_flight: AtomicU64,
    peak_in_flight_bytes: AtomicU64,
    committed: Mutex<HashMap<i32, i64>>,
    /// Records taken from Kafka (a record read again after a restart counts again).
    pub consumed: AtomicU64,
    /// Rows committed to `staging.sales_events`.
    pub inserted: AtomicU64,
    /// Records of committed batches found already staged.
    pub duplicates: AtomicU64,
    /// Of `inserted`, the rows committed to `staging.return_events`.
    pub returns_inserted: AtomicU64,
    /// Batches committed.
    pub batches: AtomicU64,
    /// Returns the group holds for their sale, as of the last commit
    /// (`None` before the writer's first report).
    held_returns: Mutex<Option<u64>>,
    /// Restarts of the source.
    pub restarts: AtomicU64,
    /// Records whose handling panicked a stage (each one quarantined).
    pub panics: AtomicU64,
    /// The dead-letter topic after the run's last drain.
    pub dead_letters: Mutex<Option<DrainReport>>,
    /// Rejected records by reason code, in the order the summary prints them.
    rejected: Mutex<BTreeMap<&'static str, u64>>,
}

impl Ledger {
    /// The source took `n` records of `bytes` bytes from Kafka.
    pub(crate) fn consumed(&self, n: u64, bytes: u64) {
        let records = self.in_flight.fetch_add(n, Ordering::SeqCst) + n;
        let size = self.in_flight_bytes.fetch_add(bytes, Ordering::SeqCst) + bytes;
        self.peak_in_flight.fetch_max(records, Ordering::Relaxed);
        self.peak_in_flight_bytes.fetch_max(size, Ordering::Relaxed);
        self.consumed.fetch_add(n, Ordering::Relaxed);
    }

    /// Records taken from Kafka and not yet committed or skipped.
    pub(crate) fn in_flight(&self) -> u64 {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// Their bytes (keys and values as read).
    pub(crate) fn in_flight_bytes(&self) -> u64 {
        self.in_flight_bytes.load(Ordering::SeqCst)
    }

    /// The most records, and the most bytes, in flight at once in this run.
    pub fn peak_in_flight(&self) -> (u64, u64) {
        let records = self.peak_in_flight.load(Ordering::Relaxed);
        (records, self.peak_in_flight_bytes.load(Ordering::Relaxed))
    }

    /// Records what one committed batch did, and settles its records
    /// (committed, or found already committed).
    pub(crate) fn committed_batch(&self, outcome: &BatchOutcome) {
        for (partition, next) in &outcome.next_offsets {
            self.set_committed(*partition, *next);
        }
        self.inserted.fetch_add(outcome.inserted, Ordering::Relaxed);
        self.returns_inserted.fetch_add(outcome.returns_inserted, Ordering::Relaxed);
        self.duplicates.fetch_add(outcome.duplicates, Ordering::Relaxed);
        // A release of held returns (no records) is not a batch.
        if outcome.settled > 0 {
            self.batches.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(held) = outcome.held_now {
            *self.held_returns.lock().expect("ledger lock") = Some(held);
        }
        let mut by_reason = self.rejected.lock().expect("ledger lock");
        for (reason, n) in &outcome.rejected {
            *by_reason.entry(reason.code()).or_default() += n;
        }
        self.in_flight.fetch_sub(outcome.settled, Ordering::SeqCst);
        self.in_flight_bytes.fetch_sub(outcome.settled_bytes, Ordering::SeqCst);
        tracing::debug!(n_in = outcome.n_in, inserted = outcome.inserted, "batch committed");
    }

    /// Returns held for their sale as of the last commit, once known.
    pub fn held_returns(&self) -> Option<u64> {
        *self.held_returns.lock().expect("ledger lock")
    }

    /// Seeds the committed position of a partition read from PostgreSQL.
    pub(crate) fn set_committed(&self, partition: i32, next_offset: i64) {
        let mut committed = self.committed.lock().expect("ledger lock");
        let entry = committed.entry(partition).or_insert(next_offset);
        *entry = (*entry).max(next_offset);
    }

    /// The next offset committed to PostgreSQL, by partition.
    pub(crate) fn committed_offsets(&self) -> HashMap<i32, i64> {
        self.committed.lock().expect("ledger lock").clone()
    }

    /// Records of committed batches quarantined, by reason code.
    pub fn rejected_by_reason(&self) -> BTreeMap<&'static str, u64> {
        self.rejected.lock().expect("ledger lock").clone()
    }

    /// Counts a restart of the source.
    pub(crate) fn restarted(&self) {
        self.restarts.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a record that panicked a stage.
    pub(crate) fn caught_panic(&self) {
        self.panics.fetch_add(1, Ordering::Relaxed);
    }
}
