//! The metrics of the pipeline and the publisher: their names, labels and
//! meanings are a contract with dashboards and alert rules, so they are
//! declared here once ([`DECLARED`], from which the book's metrics page is
//! generated and the `# HELP` lines are served), and recorded through
//! the named functions below from the few places where each fact becomes
//! true.
//!
//! - Batch counters are recorded by the staging store *after* its
//!   transaction commits, from the batch's committed outcome: they add up to
//!   `staging.ingest_batches` and `staging.rejected_events` exactly. A batch
//!   rolled back counts nothing.
//! - Restarts are counted by the one supervision policy.
//! - Lag is refreshed by the source from the high watermarks.
//! - Published events are counted when Kafka acknowledges them.
//! - The warehouse's last build is the Airflow DAG's fact, not this
//!   process's: `run` reads it from `warehouse.builds`, where the DAG's last
//!   task records it, and serves it because Prometheus scrapes `run` anyway.
//!
//! The calls go through the `metrics` facade: without an installed recorder
//! (`--metrics-addr off`, unit tests) they cost nothing.

use crate::flow::outcomes::BatchOutcome;
use crate::flow::quarantine::QuarantineReason;
use metrics::Unit;
use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use std::time::Duration;

// The names; what each metric counts is its help text in `DECLARED`.
pub(crate) const EVENTS_CONSUMED: &str = "superstore_events_consumed_total";
pub(crate) const EVENTS_STAGED: &str = "superstore_events_staged_total";
pub(crate) const EVENTS_REJECTED: &str = "superstore_events_rejected_total";
pub(crate) const EVENTS_DUPLICATE: &str = "superstore_events_duplicate_total";
pub(crate) const RETURNS_STAGED: &str = "superstore_returns_staged_total";
pub(crate) const RETURNS_HELD: &str = "superstore_returns_held";
pub(crate) const CONSUMER_LAG: &str = "superstore_consumer_lag";
/// The histogram of staging transaction times, in seconds.
pub const BATCH_COMMIT_SECONDS: &str = "superstore_batch_commit_seconds";
/// The histogram of records per committed batch.
pub const BATCH_SIZE: &str = "superstore_batch_size";
pub(crate) const BATCH_COMMIT_ERRORS: &str = "superstore_batch_commit_errors_total";
pub(crate) const ACTOR_RESTARTS: &str = "superstore_actor_restarts_total";
pub(crate) const EVENTS_PUBLISHED: &str = "superstore_events_published_total";
pub(crate) const WAREHOUSE_LAST_BUILD: &str = "superstore_warehouse_last_build_timestamp_seconds";

/// Upper bounds of the commit-time buckets, in seconds.
pub const BATCH_COMMIT_BUCKETS: [f64; 13] =
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];
/// Upper bounds of the batch-size buckets, in events.
pub const BATCH_SIZE_BUCKETS: [f64; 12] =
    [1.0, 10.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0, 25000.0, 50000.0];

/// The actors of `superstore run` that the supervision policy restarts.
pub(crate) const PIPELINE_ACTORS: [&str; 3] = ["source", "decoder", "writer"];

/// Why a batch commit failed, as the `kind` label of the error counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CommitFailure {
    /// No connection could be had (PostgreSQL away, the pool exhausted).
    Connection,
    /// The transaction failed or was rolled back.
    Transaction,
    /// A row did not fit the staging table's layout.
    Layout,
}

impl CommitFailure {
    pub(crate) const ALL: [CommitFailure; 3] =
        [CommitFailure::Connection, CommitFailure::Transaction, CommitFailure::Layout];

    pub(crate) fn label(self) -> &'static str {
        match self {
            CommitFailure::Connection => "connection",
            CommitFailure::Transaction => "transaction",
            CommitFailure::Layout => "layout",
        }
    }
}

/// How Prometheus types a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Only goes up (from 0 when the process starts).
    Counter,
    /// Set to the value just measured.
    Gauge,
    /// Samples counted into buckets, with their sum and count.
    Histogram,
}

impl Kind {
    /// The name of the type in the exposition (`# TYPE` lines).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// One metric a dashboard or an alert rule may rely on.
#[derive(Debug, Clone, Copy)]
pub struct Declared {
    /// Its name, as Prometheus scrapes it.
    pub name: &'static str,
    /// Its Prometheus type.
    pub kind: Kind,
    /// Its unit, when the name's suffix does not already say it all.
    pub(crate) unit: Option<Unit>,
    /// The labels of its series, in the order they are recorded.
    pub labels: &'static [&'static str],
    /// Its `# HELP` text.
    pub help: &'static str,
}

const fn declared(
    name: &'static str,
    kind: Kind,
    labels: &'static [&'static str],
    help: &'static str,
) -> Declared {
    Declared { name, kind, unit: None, labels, help }
}

/// Every metric of the pipeline and the publisher.
pub const DECLARED: [Declared; 13] = [
    declared(
        EVENTS_CONSUMED,
        Kind::Counter,
        &["topic", "partition"],
        "Kafka records taken in a committed batch (sum of n_in)",
    ),
    declared(
        EVENTS_STAGED,
        Kind::Counter,
        &["topic"],
        "Rows committed to staging.sales_events and staging.return_events (sum of n_inserted)",
    ),
    declared(
        RETURNS_STAGED,
        Kind::Counter,
        &["topic"],
        "Of those, the returns: rows committed to staging.return_events",
    ),
    declared(
        RETURNS_HELD,
        Kind::Gauge,
        &["topic"],
        "Returns waiting in staging.held_returns for their sale (quarantined past the bound)",
    ),
    declared(
        EVENTS_REJECTED,
        Kind::Counter,
        &["topic", "reason"],
        "Records committed to staging.rejected_events, by reason",
    ),
    declared(
        EVENTS_DUPLICATE,
        Kind::Counter,
        &["topic"],
        "Events dropped as duplicates in a committed batch",
    ),
    declared(
        CONSUMER_LAG,
        Kind::Gauge,
        &["topic", "partition"],
        "High watermark minus the next offset to stage",
    ),
    Declared {
        unit: Some(Unit::Seconds),
        ..declared(BATCH_COMMIT_SECONDS, Kind::Histogram, &[], "Time of one staging transaction")
    },
    Declared {
        unit: Some(Unit::Count),
        ..declared(BATCH_SIZE, Kind::Histogram, &[], "Records per committed batch")
    },
    declared(
        BATCH_COMMIT_ERRORS,
        Kind::Counter,
        &["topic", "kind"],
        "Failed batch commits (rolled back whole), by kind",
    ),
    declared(
        ACTOR_RESTARTS,
        Kind::Counter,
        &["actor"],
        "Restarts or retries by the supervision policy, by actor",
    ),
    declared(EVENTS_PUBLISHED, Kind::Counter, &["topic"], "Events acknowledged by Kafka"),
    Declared {
        unit: Some(Unit::Seconds),
        ..declared(
            WAREHOUSE_LAST_BUILD,
            Kind::Gauge,
            &[],
            "Unix time of the warehouse's last successful build (warehouse.builds); 0 before \
             the first",
        )
    },
];

/// The `# HELP` lines, once per process.
pub(crate) fn describe() {
    for metric in DECLARED {
        match (metric.kind, metric.unit) {
            (Kind::Counter, None) => describe_counter!(metric.name, metric.help),
            (Kind::Counter, Some(unit)) => describe_counter!(metric.name, unit, metric.help),
            (Kind::Gauge, None) => describe_gauge!(metric.name, metric.help),
            (Kind::Gauge, Some(unit)) => describe_gauge!(metric.name, unit, metric.help),
            (Kind::Histogram, None) => describe_histogram!(metric.name, metric.help),
            (Kind::Histogram, Some(unit)) => describe_histogram!(metric.name, unit, metric.help),
        }
    }
}

fn rejected(topic: &str, reason: QuarantineReason) -> metrics::Counter {
    counter!(EVENTS_REJECTED, "topic" => topic.to_owned(), "reason" => reason.code())
}

fn commit_errors(topic: &str, kind: CommitFailure) -> metrics::Counter {
    counter!(BATCH_COMMIT_ERRORS, "topic" => topic.to_owned(), "kind" => kind.label())
}

/// Creates the pipeline's series of `topic` at zero, so that dashboards and
/// `rate()` see a series before its first increment (Prometheus's advice
/// for label values known in advance).
pub(crate) fn prime_pipeline(topic: &str) {
    counter!(EVENTS_STAGED, "topic" => topic.to_owned()).absolute(0);
    counter!(RETURNS_STAGED, "topic" => topic.to_owned()).absolute(0);
    counter!(EVENTS_DUPLICATE, "topic" => topic.to_owned()).absolute(0);
    for reason in QuarantineReason::all() {
        rejected(topic, reason).absolute(0);
    }
    for kind in CommitFailure::ALL {
        commit_errors(topic, kind).absolute(0);
    }
    for actor in PIPELINE_ACTORS {
        counter!(ACTOR_RESTARTS, "actor" => actor).absolute(0);
    }
}

/// Creates the publisher's series of `topic` at zero.
pub fn prime_publisher(topic: &str) {
    counter!(EVENTS_PUBLISHED, "topic" => topic.to_owned()).absolute(0);
    counter!(ACTOR_RESTARTS, "actor" => "publisher").absolute(0);
}

/// A batch of `topic` is committed: counts what it did. Called after the
/// transaction commits, never before.
pub(crate) fn batch_committed(topic: &str, outcome: &BatchOutcome, took: Duration) {
    if let Some(held) = outcome.held_now {
        gauge!(RETURNS_HELD, "topic" => topic.to_owned()).set(held as f64);
    }
    if outcome.n_in == 0 && outcome.held_change == 0 {
        // Every record was committed before (a re-read): no audit row, nothing new.
        return;
    }
    for (partition, n) in &outcome.n_in_by_partition {
        let partition = partition.to_string();
        counter!(EVENTS_CONSUMED, "topic" => topic.to_owned(), "partition" => partition)
            .increment(*n);
    }
    counter!(EVENTS_STAGED, "topic" => topic.to_owned()).increment(outcome.inserted);
    counter!(RETURNS_STAGED, "topic" => topic.to_owned()).increment(outcome.returns_inserted);
    counter!(EVENTS_DUPLICATE, "topic" => topic.to_owned()).increment(outcome.duplicates);
    for (reason, n) in &outcome.rejected {
        rejected(topic, *reason).increment(*n);
    }
    if outcome.n_in > 0 {
        histogram!(BATCH_COMMIT_SECONDS).record(took.as_secs_f64());
        histogram!(BATCH_SIZE).record(outcome.n_in as f64);
    }
}

/// A batch commit of `topic` failed and was rolled back whole.
pub(crate) fn batch_commit_failed(topic: &str, kind: CommitFailure) {
    commit_errors(topic, kind).increment(1);
}

/// The supervision policy restarts `actor` (or retries its failed step).
pub(crate) fn actor_restarted(actor: &'static str) {
    counter!(ACTOR_RESTARTS, "actor" => actor).increment(1);
}

/// The lag of one partition, just measured.
pub(crate) fn consumer_lag(topic: &str, partition: i32, lag: i64) {
    let partition = partition.to_string();
    gauge!(CONSUMER_LAG, "topic" => topic.to_owned(), "partition" => partition)
        .set(lag.max(0) as f64);
}

/// The counter of events of `topic` acknowledged by Kafka: taken once per
/// run and incremented per acknowledgement, so that counting costs no
/// allocation at the publisher's rate.
pub(crate) fn events_published(topic: &str) -> metrics::Counter {
    counter!(EVENTS_PUBLISHED, "topic" => topic.to_owned())
}

/// When the warehouse was last built, in seconds since the Unix epoch, as
/// just read from `warehouse.builds`; `None` before its first build, which
/// is served as 0, so that a warehouse never built looks as stale as it is.
pub(crate) fn warehouse_last_build(unix_seconds: Option<f64>) {
    gauge!(WAREHOUSE_LAST_BUILD).set(unix_seconds.unwrap_or(0.0));
}
