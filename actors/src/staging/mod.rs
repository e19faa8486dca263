//! The staging store, the blocking half of the writer: it commits one batch
//! to PostgreSQL in one transaction, through Diesel, on the writer's
//! committer thread (`writer`), which owns it and calls it directly. (Not a
//! `SyncArbiter`: its messages are routed through the thread of the stages,
//! and wait there behind whatever chunk is being decoded, which kept
//! PostgreSQL idle for a third of each batch.)
//!
//! The transaction holds, together ([`commit`], one function per table):
//! - the accepted rows of `staging.sales_events`, laid out from the Diesel
//!   table itself ([`rows`]);
//! - the returns, judged by the order aggregate against their orders as
//!   staged ([`order_aggregate`]): into `staging.return_events`, held in
//!   `staging.held_returns` for a late sale, or quarantined;
//! - the rejected rows of `staging.rejected_events`, with their raw bytes;
//! - the audit row of `staging.ingest_batches`
//!   (`n_in = n_inserted + n_rejected + n_duplicate + n_held`);
//! - the new `next_offset` of every partition in `staging.consumer_offsets`.
//!
//! Records below a partition's stored `next_offset` are already committed
//! (a resumed or restarted source re-read them) and are skipped: that check,
//! made under a row lock, is what makes a batch exactly-once even when two
//! incarnations of the pipeline overlap. Every SQL statement of the pipeline
//! lives in [`sql`]; [`guard`] keeps the reader schema and staging in step.
//! Once the transaction has committed (or failed), the store records the
//! batch's metrics (`crate::metrics`): what it committed, or the failure.

mod accepted_rows;
pub mod batch;
pub mod binary_fields;
mod commit;
pub mod committed_ids;
pub(crate) mod copy_row_serializer;
mod event_copies;
pub(crate) mod failure;
pub mod guard;
mod order_aggregate;
mod return_sql;
pub mod rows;
pub(crate) mod sql;
pub mod writer;

use crate::flow::outcomes::BatchOutcome;
use crate::metrics::{self, CommitFailure};
use batch::PreparedBatch;
use committed_ids::CommittedIds;
use diesel::pg::PgConnection;
use diesel::Connection;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use superstore_database::SessionTimeouts;

/// Why a batch was not committed; it was rolled back whole, and is retried.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No connection to PostgreSQL could be made.
    #[error("no database connection: {0}")]
    Connection(String),
    /// A statement of the transaction, or its commit, failed.
    #[error("the batch transaction failed: {0}")]
    Transaction(#[from] diesel::result::Error),
    /// A row could not be laid out in the columns of `staging.sales_events`.
    #[error("a staged row does not fit staging.sales_events: {0}")]
    Layout(String),
}

impl StoreError {
    fn kind(&self) -> CommitFailure {
        match self {
            StoreError::Connection(_) => CommitFailure::Connection,
            StoreError::Transaction(_) => CommitFailure::Transaction,
            StoreError::Layout(_) => CommitFailure::Layout,
        }
    }
}

/// What a group reads, and so where its rows belong: the group, the topic
/// by name, and the topic's Kafka id, kept with the offsets and the
/// quarantine (a topic created again under the same name is another topic).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The consumer group.
    pub group_id: String,
    /// The topic's name.
    pub topic: String,
    /// Kafka's id of the topic.
    pub topic_id: String,
}

/// The writer's side of PostgreSQL: one connection of its own, replaced
/// after any failed batch. A connection that failed may be broken, or carry
/// the state that made it fail (a session made read-only, say); the retry
/// starts afresh.
pub(crate) struct StagingStore {
    database_url: String,
    timeouts: SessionTimeouts,
    connection: Option<PgConnection>,
    subscription: Subscription,
    /// Filled here, once each transaction has committed.
    committed: CommittedIds,
    backend: WriterBackend,
    /// How long a return waits for its sale.
    hold: Duration,
}

/// The server process of the writer's session, so that a shutdown that
/// runs out of time can end it, rolling its open transaction back at once.
#[derive(Debug, Clone, Default)]
pub(crate) struct WriterBackend(Arc<AtomicI32>);

impl WriterBackend {
    /// The backend's process id, once the writer has connected.
    pub(crate) fn pid(&self) -> Option<i32> {
        Some(self.0.load(Ordering::SeqCst)).filter(|&pid| pid != 0)
    }
}

impl StagingStore {
    pub(crate) fn new(
        database_url: String,
        timeouts: SessionTimeouts,
        subscription: Subscription,
        committed: CommittedIds,
        backend: WriterBackend,
        hold: Duration,
    ) -> Self {
        let connection = None;
        StagingStore { database_url, timeouts, connection, subscription, committed, backend, hold }
    }

    fn connection(&mut self) -> Result<&mut PgConnection, StoreError> {
        if self.connection.is_none() {
            let fail = |e: &dyn std::fmt::Display| StoreError::Connection(e.to_string());
            let mut conn =
                superstore_database::connect_with_timeouts(&self.database_url, self.timeouts)
                    .map_err(|e| fail(&e))?;
            let pid = sql::backend_pid(&mut conn).map_err(|e| fail(&e))?;
            self.backend.0.store(pid, Ordering::SeqCst);
            self.connection = Some(conn);
        }
        Ok(self.connection.as_mut().expect("connected above"))
    }

    /// Commits `batch` in a transaction of its own, blocking until
    /// PostgreSQL has answered; after a failure, the next call connects afresh.
    pub(crate) fn commit(&mut self, batch: &PreparedBatch) -> Result<BatchOutcome, StoreError> {
        let started = Instant::now();
        let (subscription, committed) = (self.subscription.clone(), self.committed.clone());
        let hold = self.hold;
        let outcome = self
            .connection()
            .and_then(|conn| commit_batch(conn, &subscription, batch, &committed, hold));
        // Counted here, where the commit has happened (or has not): a batch
        // rolled back counts as an error, never as events.
        match &outcome {
            Ok(committed) => {
                metrics::batch_committed(&subscription.topic, committed, started.elapsed())
            }
            Err(e) => {
                metrics::batch_commit_failed(&subscription.topic, e.kind());
                self.connection = None;
            }
        }
        outcome
    }

    /// Quarantines the held returns whose bound has passed (staging those
    /// whose sale came meanwhile), in a transaction of its own; the outcome
    /// says how many the group still holds.
    pub(crate) fn release_expired(&mut self) -> Result<BatchOutcome, StoreError> {
        let (subscription, hold) = (self.subscription.clone(), self.hold);
        let outcome = self.connection().and_then(|conn| {
            conn.transaction(|conn| commit::release_expired(conn, &subscription, hold))
        });
        match &outcome {
            Ok(released) => metrics::batch_committed(&subscription.topic, released, Duration::ZERO),
            Err(_) => self.connection = None,
        }
        outcome
    }
}

/// Commits one batch in a transaction of its own; then, and only then, its
/// staged ids join `committed`.
pub fn commit_batch(
    conn: &mut PgConnection,
    subscription: &Subscription,
    batch: &PreparedBatch,
    committed: &CommittedIds,
    hold: Duration,
) -> Result<BatchOutcome, StoreError> {
    let outcome =
        conn.transaction(|conn| commit::commit(conn, subscription, batch, committed, hold))?;
    committed.committed(outcome.staged_ids.iter().copied());
    Ok(outcome)
}

/// Writes one batch inside the caller's open transaction (which the caller
/// commits): what [`commit_batch`] does, for tests that hold a transaction
/// open to race a second writer against it.
pub fn commit_in_open_transaction(
    conn: &mut PgConnection,
    subscription: &Subscription,
    batch: &PreparedBatch,
    committed: &CommittedIds,
    hold: Duration,
) -> Result<BatchOutcome, StoreError> {
    commit::commit(conn, subscription, batch, committed, hold)
}
