//! What the long-running parts of a run report when they finish a piece of
//! work: a committed batch, a drain of the dead-letter outbox, a stopped
//! source. The ledger, the metrics and the runner's summary read them.

use crate::flow::quarantine::QuarantineReason;

/// What one committed batch did: the counts of its audit row in
/// `staging.ingest_batches`, and the records it settled.
#[derive(Debug, Clone, Default)]
pub struct BatchOutcome {
    /// Records of the message that are now settled (committed or already committed).
    pub(crate) settled: u64,
    /// Their bytes, as the source counted them in flight.
    pub(crate) settled_bytes: u64,
    /// Records of the batch not committed before (the audit row's `n_in`);
    /// 0 when a re-read batch held nothing new.
    pub n_in: u64,
    /// `n_in` by partition.
    pub(crate) n_in_by_partition: Vec<(i32, u64)>,
    /// Rows inserted into `staging.sales_events` and `staging.return_events`.
    pub inserted: u64,
    /// Of those, the returns.
    pub returns_inserted: u64,
    /// Returns the batch held for their sale, less those it released (the
    /// audit row's `n_held`).
    pub held_change: i64,
    /// Returns the group holds once the batch has committed.
    pub(crate) held_now: Option<u64>,
    /// Records already staged, or already quarantined by this group: nothing written.
    pub duplicates: u64,
    /// Records quarantined in `staging.rejected_events`, by reason.
    pub rejected: Vec<(QuarantineReason, u64)>,
    /// The stored next offset of each partition of the batch, after commit.
    pub(crate) next_offsets: Vec<(i32, i64)>,
    /// The event ids in staging once the batch has committed (inserted, or
    /// found there already).
    pub(crate) staged_ids: Vec<uuid::Uuid>,
}

/// What a drain of the dead-letter outbox did: for the final drain, what
/// the outbox publisher did since it started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrainReport {
    /// Dead letters Kafka acknowledged, and marked so in staging.
    pub published: u64,
    /// Quarantined rows still waiting for the dead-letter topic.
    pub pending: u64,
    /// Why the last attempt failed, if it did.
    pub error: Option<String>,
}

/// Why the source stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// Every assigned partition was read to its end and committed (`--until-idle`).
    Idle,
    /// Asked to stop (SIGINT or SIGTERM); the open batch was committed first.
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
    /// Another live instance joined the group under this one's
    /// `group.instance.id`: Kafka fenced this one, for good.
    #[error(
        "another pipeline joined group {group} with the same instance id {instance_id}, and \
         Kafka handed it this instance's partitions"
    )]
    Fenced {
        /// The consumer group.
        group: String,
        /// The `group.instance.id` the two instances share.
        instance_id: String,
    },
    /// The consumer failed for good (a fatal error of librdkafka).
    #[error("the Kafka consumer failed for good: {0}")]
    ConsumerFailed(String),
}

/// How the source ended: stopped as asked, or halted.
pub(crate) type SourceOutcome = Result<StopReason, SourceHalt>;
