//! The staging store, the blocking half of the writer: it commits one batch
//! to PostgreSQL in one transaction, on a thread of its own (a
//! `SyncArbiter`), through Diesel.
//!
//! The transaction holds, together ([`commit`], one function per table):
//! - the accepted rows of `staging.sales_events`, laid out from the Diesel
//!   table itself ([`rows`]);
//! - the rejected rows of `staging.rejected_events`, with their raw bytes;
//! - the audit row of `staging.ingest_batches`
//!   (`n_in = n_inserted + n_rejected + n_duplicate`);
//! - the new `next_offset` of every partition in `staging.consumer_offsets`.
//!
//! Records below a partition's stored `next_offset` are already committed
//! (a resumed or restarted source re-read them) and are skipped: that check,
//! made under a row lock, is what makes a batch exactly-once even when two
//! incarnations of the pipeline overlap. Every SQL statement of the pipeline
//! lives in [`sql`]; [`guard`] keeps the reader schema and staging in step.
//! Once the transaction has committed (or failed), the store records the
//! batch's metrics (`crate::metrics`): what it committed, or the failure.

mod commit;
pub mod guard;
pub mod rows;
pub mod sql;

use crate::metrics::{self, CommitFailure};
use crate::pipeline::envelope::Envelope;
use crate::pipeline::quarantine::QuarantineReason;
use actix::prelude::*;
use diesel::Connection;
use std::sync::Arc;
use std::time::Instant;
use superstore_database::PgPool;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no database connection: {0}")]
    Connection(String),
    #[error("the batch transaction failed: {0}")]
    Transaction(#[from] diesel::result::Error),
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

#[derive(Debug, Clone, Default)]
pub struct BatchOutcome {
    /// Records of the message that are now settled (committed or already committed).
    pub settled: u64,
    pub n_in: u64,
    /// `n_in` by partition.
    pub n_in_by_partition: Vec<(i32, u64)>,
    pub inserted: u64,
    pub duplicates: u64,
    pub rejected: Vec<(QuarantineReason, u64)>,
    /// The stored next offset of each partition of the batch, after commit.
    pub next_offsets: Vec<(i32, i64)>,
}

#[derive(Message)]
#[rtype(result = "Result<BatchOutcome, StoreError>")]
pub struct CommitBatch(pub Arc<Vec<Envelope>>);

pub struct StagingStore {
    pool: PgPool,
    group_id: String,
    topic: String,
}

impl StagingStore {
    pub fn new(pool: PgPool, group_id: String, topic: String) -> Self {
        StagingStore { pool, group_id, topic }
    }
}

impl Actor for StagingStore {
    type Context = SyncContext<Self>;
}

impl Handler<CommitBatch> for StagingStore {
    type Result = Result<BatchOutcome, StoreError>;

    fn handle(
        &mut self,
        CommitBatch(batch): CommitBatch,
        _: &mut SyncContext<Self>,
    ) -> Self::Result {
        let started = Instant::now();
        let outcome = self.pool.get().map_err(|e| StoreError::Connection(e.to_string())).and_then(
            |mut conn| {
                conn.transaction(|conn| commit::commit(conn, &self.group_id, &self.topic, &batch))
            },
        );
        // Counted here, where the commit has happened (or has not): a batch
        // rolled back counts as an error, never as events.
        match &outcome {
            Ok(committed) => metrics::batch_committed(&self.topic, committed, started.elapsed()),
            Err(e) => metrics::batch_commit_failed(&self.topic, e.kind()),
        }
        outcome
    }
}
