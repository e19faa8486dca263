//! Runs the pipeline: starts one supervised actor per stage, wired in the
//! order of the flow, with the lag probe beside them, and waits until the
//! source reports idle (with `until_idle`), a signal arrives, or an actor
//! gives up under the supervision policy.
//!
//! On SIGINT or SIGTERM the open batch is committed first, within the
//! shutdown bound (`--shutdown-timeout-secs`, 30 s by default). Past it, the
//! writer's session is ended, so that its open transaction is rolled back
//! whole at once, and the run stops with [`PipelineError::ShutdownTimedOut`].
//! A second SIGINT or SIGTERM exits at once (130 or 143); PostgreSQL then
//! rolls the open transaction back when the connection closes. Either way
//! the next run resumes from the stored offsets.

use crate::dead_letter::outbox::{DeadLetterSettings, DeadLetters, Drain};
use crate::flow::ledger::Ledger;
use crate::flow::outcomes::{DrainReport, SourceHalt, SourceOutcome, StopReason};
use crate::intake::assignment::AssignedPartitions;
use crate::intake::kafka_source::{Shutdown, Source};
use crate::intake::source_settings::SourceSettings;
use crate::observability::consumer_lag::LagProbe;
use crate::stages::decoder::{Decoder, Readers};
use crate::stages::dedup::Dedup;
use crate::stages::validator::Validator;
use crate::staging::committed_ids::CommittedIds;
use crate::staging::writer::{BatchPolicy, Writer};
use crate::staging::{StagingStore, Subscription, WriterBackend};
use crate::supervision::{Escalation, GaveUp, RestartPolicy, Supervision};
use actix::Actor as _;
use actix::{Addr, Supervisor};
use std::sync::Arc;
use std::time::Duration;
use superstore_database::{PgPool, SessionTimeouts};
use superstore_kafka_settings::KafkaSettings;
use superstore_registry::RegistryClient;

/// What one run is asked to do.
#[derive(Clone)]
pub struct PipelineSettings {
    /// The brokers and the user's settings, for every client of the run.
    pub kafka: KafkaSettings,
    /// The schema registry the decoder fetches writer schemas from.
    pub registry: RegistryClient,
    /// Connections for everything but the writer: dedup's preload, the
    /// resume offsets, the dead-letter outbox, ending the writer's session.
    pub pool: PgPool,
    /// The writer keeps a connection of its own, made from this URL.
    pub database_url: String,
    /// The sales topic the pipeline consumes.
    pub topic: String,
    /// Where quarantined records are published too (`crate::dead_letter`).
    pub dlq_topic: String,
    /// Kafka's id of the topic, as checked before the run (`crate::offsets::resume`).
    pub topic_id: String,
    /// The consumer group, under which the offsets are stored.
    pub group: String,
    /// This instance's `group.instance.id` (static membership), if any.
    pub instance_id: Option<String>,
    /// When the writer closes a batch.
    pub batch: BatchPolicy,
    /// Consumed but uncommitted records above which the source pauses.
    pub max_in_flight: u64,
    /// The same, in bytes of keys and values.
    pub max_in_flight_bytes: u64,
    /// Kafka's `max.poll.interval.ms`.
    pub max_poll_interval: Duration,
    /// Kafka's `session.timeout.ms` for the source's consumer.
    pub session_timeout: Duration,
    /// Event ids the dedup stage remembers.
    pub dedup_window: usize,
    /// How long a return waits for its sale before it is quarantined.
    pub return_hold: Duration,
    /// The `lock_timeout` and `statement_timeout` of the pipeline's sessions.
    pub session_timeouts: SessionTimeouts,
    /// How long a signalled run may take to commit its open batch.
    pub shutdown_timeout: Duration,
    /// Stop once every assigned partition is read to its end and committed.
    pub until_idle: bool,
    /// How often the stages may fail before the run gives up.
    pub restart_policy: RestartPolicy,
    /// The partitions the source holds (the health check reads them too).
    pub assigned: AssignedPartitions,
}

/// How often the lag probe measures.
const LAG_REFRESH: std::time::Duration = std::time::Duration::from_secs(2);

/// Why a run ended other than as asked.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// An actor failed more often than the restart policy allows.
    #[error(transparent)]
    GaveUp(#[from] GaveUp),
    /// The source stopped the run: restarting would not help.
    #[error(transparent)]
    Halted(#[from] SourceHalt),
    /// The run could not be set up, or an actor vanished (a bug).
    #[error("the pipeline stopped unexpectedly: {0}")]
    Internal(String),
    /// Signalled, the run did not finish within the bound; the open batch
    /// was rolled back whole.
    #[error(
        "the open batch was not committed within the shutdown bound of {} s, and was rolled \
         back whole{}; the next run resumes from the stored offsets",
        waited.as_secs(),
        if *ended_session { " (its database session was ended)" } else { "" }
    )]
    ShutdownTimedOut {
        /// The bound it waited for (`--shutdown-timeout-secs`).
        waited: Duration,
        /// Whether the writer's database session was ended, to roll back at once.
        ended_session: bool,
    },
}

/// Runs the pipeline inside an actix system until it stops; `ledger`
/// holds the run's counters.
pub async fn run_pipeline(
    settings: PipelineSettings,
    ledger: Arc<Ledger>,
) -> Result<StopReason, PipelineError> {
    let (escalation, mut gave_up) = Escalation::channel();
    let (finished_tx, finished_rx) = tokio::sync::oneshot::channel();
    crate::metrics::prime_pipeline(&settings.topic);
    let dead_letters = start_dead_letters(&settings)?;
    let writer_backend = WriterBackend::default();
    let source = start_stages(&settings, &ledger, &escalation, finished_tx, &writer_backend);
    match LagProbe::new(&settings.kafka, &settings.topic, settings.assigned.clone(), ledger.clone())
    {
        Ok(probe) => probe.spawn(LAG_REFRESH),
        Err(e) => tracing::warn!(error = %e, "no lag probe: superstore_consumer_lag stays empty"),
    }
    tracing::info!(topic = %settings.topic, group = %settings.group, "pipeline running");
    tokio::pin!(finished_rx);
    let signals = Signals::new().map_err(|e| PipelineError::Internal(e.to_string()))?;
    let bound = settings.shutdown_timeout;
    let stopped = run_until_stopped(source, finished_rx.as_mut(), &mut gave_up, signals, bound);
    let outcome = match stopped.await {
        Err(PipelineError::ShutdownTimedOut { waited, .. }) => {
            let ended_session = end_writer_session(&settings.pool, &writer_backend);
            Err(PipelineError::ShutdownTimedOut { waited, ended_session })
        }
        other => other,
    };
    if outcome.is_ok() {
        // What this run quarantined goes to the dead-letter topic before it ends.
        let drained = dead_letters.send(Drain).timeout(FINAL_DRAIN_WAIT).await;
        let report = drained.unwrap_or_else(|e| DrainReport {
            error: Some(format!("the final drain did not finish: {e}")),
            ..DrainReport::default()
        });
        *ledger.dead_letters.lock().expect("ledger lock") = Some(report);
    }
    outcome
}

/// How long a stopping run waits for the dead-letter topic.
const FINAL_DRAIN_WAIT: Duration = Duration::from_secs(30);

fn start_dead_letters(settings: &PipelineSettings) -> Result<Addr<DeadLetters>, PipelineError> {
    let dead_letters = DeadLetters::new(DeadLetterSettings {
        kafka: settings.kafka.clone(),
        pool: settings.pool.clone(),
        group_id: settings.group.clone(),
        topic: settings.topic.clone(),
        dlq_topic: settings.dlq_topic.clone(),
        // A quarter of the pipeline's own bound, at least 1 MiB.
        max_round_bytes: (settings.max_in_flight_bytes / 4).max(1 << 20),
    })
    .map_err(|e| PipelineError::Internal(format!("cannot create the dead-letter producer: {e}")))?;
    Ok(dead_letters.start())
}

/// Waits until the source finishes, an actor gives up, or a signal asks to
/// stop; then until the source finishes within `bound`, or a second signal.
async fn run_until_stopped(
    source: Addr<Source>,
    mut finished_rx: std::pin::Pin<&mut tokio::sync::oneshot::Receiver<SourceOutcome>>,
    gave_up: &mut tokio::sync::mpsc::UnboundedReceiver<GaveUp>,
    mut signals: Signals,
    bound: Duration,
) -> Result<StopReason, PipelineError> {
    let internal = |outcome: Result<SourceOutcome, tokio::sync::oneshot::error::RecvError>| {
        outcome.map_err(|e| PipelineError::Internal(e.to_string()))?.map_err(PipelineError::from)
    };
    tokio::select! {
        reason = &mut finished_rx => return internal(reason),
        Some(report) = gave_up.recv() => return Err(report.into()),
        _ = signals.next() => {}
    }
    eprintln!(
        "stopping: committing the open batch, for at most {} s (--shutdown-timeout-secs); \
         a second signal aborts at once, and the open transaction is then rolled back whole",
        bound.as_secs()
    );
    source.do_send(Shutdown);
    tokio::spawn(async move {
        let code = signals.next().await;
        eprintln!("second signal: aborting; the open transaction is rolled back whole");
        std::process::exit(code);
    });
    tokio::select! {
        reason = finished_rx => internal(reason),
        Some(report) = gave_up.recv() => Err(report.into()),
        () = tokio::time::sleep(bound) => {
            Err(PipelineError::ShutdownTimedOut { waited: bound, ended_session: false })
        }
    }
}

/// Ends the writer's database session, if it has one; whether it did.
/// Its open transaction is rolled back at once, and the locks it holds or
/// waits for are let go, instead of when a lock or statement timeout fires.
fn end_writer_session(pool: &PgPool, backend: &WriterBackend) -> bool {
    let Some(pid) = backend.pid() else { return false };
    let ended = pool.get().map_err(|e| e.to_string()).and_then(|mut conn| {
        crate::staging::sql::terminate_backend(&mut conn, pid).map_err(|e| e.to_string())
    });
    match ended {
        Ok(ended) => ended,
        Err(e) => {
            tracing::warn!(error = %e, "cannot end the writer's session; PostgreSQL ends it later");
            false
        }
    }
}

/// Starts the stages from the last to the first; the source's address.
fn start_stages(
    settings: &PipelineSettings,
    ledger: &Arc<Ledger>,
    escalation: &Escalation,
    finished: tokio::sync::oneshot::Sender<SourceOutcome>,
    writer_backend: &WriterBackend,
) -> Addr<Source> {
    let s = settings.clone();
    let supervision = |actor| (Supervision::new(actor, s.restart_policy), escalation.clone());
    let subscription = Subscription {
        group_id: s.group.clone(),
        topic: s.topic.clone(),
        topic_id: s.topic_id.clone(),
    };
    let store_url = s.database_url.clone();
    // Filled by the store after each commit, read by dedup.
    let committed = CommittedIds::new(s.dedup_window);
    let store_committed = committed.clone();
    let (timeouts, backend) = (s.session_timeouts, writer_backend.clone());
    let store = StagingStore::new(
        store_url,
        timeouts,
        subscription,
        store_committed,
        backend,
        s.return_hold,
    );
    let (writer_policy, writer_escalation) = supervision("writer");
    let writer_ledger = ledger.clone();
    let writer_topic = s.topic.clone();
    let writer = Supervisor::start(move |_| {
        let ledger = writer_ledger;
        Writer::new(&writer_topic, store, ledger, s.batch, writer_policy, writer_escalation)
    });
    let dedup_pool = s.pool.clone();
    let dedup = Supervisor::start(move |_| Dedup::new(dedup_pool, committed, writer));
    let validator_ledger = ledger.clone();
    let validator = Supervisor::start(move |_| Validator::new(dedup, validator_ledger));
    let readers = Readers::latest();
    let (decoder_policy, decoder_escalation) = supervision("decoder");
    let registry = s.registry.clone();
    let decoder_ledger = ledger.clone();
    let decoder = Supervisor::start(move |_| {
        let ledger = decoder_ledger;
        Decoder::new(registry, readers, validator, decoder_policy, decoder_escalation, ledger)
    });
    let source_settings = source_settings(&s);
    let (source_policy, source_escalation) = supervision("source");
    let source_ledger = ledger.clone();
    Supervisor::start(move |_| {
        let finished = finished;
        Source::new(
            source_settings,
            decoder,
            source_ledger,
            source_policy,
            source_escalation,
            finished,
        )
    })
}

/// What the source is given of the run's settings.
fn source_settings(s: &PipelineSettings) -> SourceSettings {
    SourceSettings {
        kafka: s.kafka.clone(),
        group_id: s.group.clone(),
        instance_id: s.instance_id.clone(),
        topic: s.topic.clone(),
        topic_id: s.topic_id.clone(),
        pool: s.pool.clone(),
        chunk_size: 1000,
        max_in_flight: s.max_in_flight,
        max_in_flight_bytes: s.max_in_flight_bytes,
        max_poll_interval: s.max_poll_interval,
        session_timeout: s.session_timeout,
        until_idle: s.until_idle,
        assigned: s.assigned.clone(),
    }
}

/// SIGINT and SIGTERM, listened to from the start of the run to its end,
/// so that no signal falls between two listeners.
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> std::io::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    /// The next signal, as the exit code of a process it ends (128 + its number).
    async fn next(&mut self) -> i32 {
        tokio::select! {
            _ = self.interrupt.recv() => 130,
            _ = self.terminate.recv() => 143,
        }
    }
}
