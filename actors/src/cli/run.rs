//! `superstore run`: the ingestion pipeline, from the sales topic to the
//! PostgreSQL staging layer, exactly once. This command checks the services
//! and the staging layer, then runs `superstore_actors::pipeline` and prints
//! its summary. It serves `/metrics` and the health probes on
//! `--metrics-addr` while it runs, and among the metrics when the warehouse
//! was last built (read from PostgreSQL, for the alert on a stalled schedule).

use super::failure::Failure;
use super::kafka_access::{self, KafkaArgs};
use super::observe::{self, Exposition};
use super::registry_access;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use superstore_actors::flow::ledger::Ledger;
use superstore_actors::flow::outcomes::{SourceHalt, StopReason};
use superstore_actors::kafka::consumer_settings::DEFAULT_SESSION_TIMEOUT_MS;
use superstore_actors::kafka::KafkaSettings;
use superstore_actors::observability::endpoint::MetricsAddr;
use superstore_actors::observability::readiness::Readiness;
use superstore_actors::observability::warehouse_build::WarehouseBuildProbe;
use superstore_actors::offsets::resume::{self, ResumeError};
use superstore_actors::runner::{run_pipeline, PipelineError, PipelineSettings};
use superstore_actors::staging::guard;
use superstore_actors::staging::writer::BatchPolicy;
use superstore_actors::supervision::RestartPolicy;
use superstore_actors::{dead_letter, kafka};
use superstore_database::{redact, PgPool, SessionTimeouts};
use superstore_domain::{schema_latest, LATEST_SCHEMA_VERSION};
use superstore_stack::Endpoints;

#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Exit 0 once every assigned partition is drained and committed.
    #[arg(long)]
    pub until_idle: bool,
    /// Topic to consume.
    #[arg(long, env = "SUPERSTORE_TOPIC", default_value = "superstore.sales")]
    pub topic: String,
    /// Dead-letter topic: every quarantined record is published there too (default
    /// `<topic>.dlq`).
    #[arg(long, env = "SUPERSTORE_DLQ_TOPIC")]
    pub dlq_topic: Option<String>,
    /// Consumer group; its offsets live in staging.consumer_offsets.
    #[arg(long, default_value = "superstore-staging")]
    pub group: String,
    /// This instance's stable name in its group (Kafka's group.instance.id): restarted under
    /// the same name, it takes its partitions back at once. Unique per live instance, and
    /// for one topic; `none` for a dynamic member [default: superstore-<hostname>-<topic>;
    /// with --until-idle, none].
    #[arg(long, env = "SUPERSTORE_INSTANCE_ID")]
    pub instance_id: Option<String>,
    /// A batch commits once it holds this many records…
    #[arg(long, env = "SUPERSTORE_BATCH_SIZE", default_value_t = 5000)]
    pub batch_size: usize,
    /// …or once its first record waited this many milliseconds. Short, so
    /// that a record is staged within a fraction of a second at any rate; a
    /// busy pipeline fills its batches by size long before.
    #[arg(long, env = "SUPERSTORE_LINGER_MS", default_value_t = 50)]
    pub linger_ms: u64,
    /// Consumed but uncommitted records above which the source pauses its partitions…
    #[arg(long, env = "SUPERSTORE_MAX_IN_FLIGHT", default_value_t = 50_000)]
    pub max_in_flight: u64,
    /// …or bytes of them (keys and values as read from Kafka; default 64 MiB).
    #[arg(long, env = "SUPERSTORE_MAX_IN_FLIGHT_BYTES", default_value_t = 64 << 20)]
    pub max_in_flight_bytes: u64,
    /// Kafka's max.poll.interval.ms: a consumer that does not poll for this long leaves the
    /// group (it also caps the session timeout).
    #[arg(long, env = "SUPERSTORE_MAX_POLL_INTERVAL_MS", default_value_t = 300_000)]
    pub max_poll_interval_ms: u32,
    /// Kafka's session.timeout.ms: how long the group waits for a silent instance before
    /// its partitions go to another. Above a broker failover (about 10 s), so that one costs
    /// no rebalance; a crashed instance's partitions wait this long.
    #[arg(long, env = "SUPERSTORE_SESSION_TIMEOUT_MS")]
    #[arg(default_value_t = DEFAULT_SESSION_TIMEOUT_MS)]
    pub session_timeout_ms: u32,
    /// Event ids the dedup stage remembers (rebuilt from staging on start).
    #[arg(long, default_value_t = 500_000)]
    pub dedup_window: usize,
    /// Seconds a return whose sale is not staged waits for it (held in staging.held_returns)
    /// before it is quarantined as return_without_sale; 0 quarantines it at once. With
    /// --until-idle, the run waits out this bound for the returns it holds.
    #[arg(long, env = "SUPERSTORE_RETURN_HOLD_SECS", default_value_t = 60)]
    pub return_hold_secs: u64,
    /// An actor that fails more often than this within the restart window stops the
    /// pipeline (exit 5).
    #[arg(long, env = "SUPERSTORE_MAX_RESTARTS", default_value_t = default_policy().max_restarts)]
    pub max_restarts: u32,
    /// The window, in seconds, in which an actor's failures are counted.
    #[arg(
        long,
        env = "SUPERSTORE_RESTART_WINDOW_SECS",
        default_value_t = default_policy().window.as_secs()
    )]
    pub restart_window_secs: u64,
    /// Seconds a schema id the registry does not have is believed unknown before it is asked
    /// again (its records are quarantined as unknown_schema_id meanwhile); 0 asks every time.
    #[arg(
        long,
        env = "SUPERSTORE_UNKNOWN_SCHEMA_TTL_SECS",
        default_value_t = superstore_registry::DEFAULT_UNKNOWN_SCHEMA_TTL.as_secs()
    )]
    pub unknown_schema_ttl_secs: u64,
    /// Seconds a stopping run (SIGINT, SIGTERM) may take to commit its open batch; past
    /// them the batch is rolled back whole and the run exits 7. A second signal aborts at once.
    #[arg(long, env = "SUPERSTORE_SHUTDOWN_TIMEOUT_SECS", default_value_t = 30)]
    pub shutdown_timeout_secs: u64,
    /// lock_timeout of the pipeline's database sessions, in milliseconds [default: 10000,
    /// unless the session has one from the server, the role or DATABASE_URL's options].
    #[arg(long, env = "SUPERSTORE_LOCK_TIMEOUT_MS")]
    pub lock_timeout_ms: Option<u64>,
    /// statement_timeout of the pipeline's database sessions, in milliseconds [default:
    /// 60000, unless the session has one from the server, the role or DATABASE_URL's options].
    #[arg(long, env = "SUPERSTORE_STATEMENT_TIMEOUT_MS")]
    pub statement_timeout_ms: Option<u64>,
    /// Schema ids per second that `run` may find unknown at the registry; past that, a record
    /// framed with an id not in the cache is quarantined as unknown_schema_id without asking
    /// (replay asks again), so random ids cannot flood the registry. 0: no cap.
    #[arg(
        long,
        env = "SUPERSTORE_UNKNOWN_SCHEMA_LOOKUPS_PER_SEC",
        default_value_t = superstore_registry::DEFAULT_UNKNOWN_SCHEMA_LOOKUPS_PER_SEC
    )]
    pub unknown_schema_lookups_per_sec: u32,
    /// Where to serve /metrics, /health/live and /health/ready (IP:PORT), or `off`.
    #[arg(long, env = observe::RUN_VARIABLE, default_value = observe::RUN_DEFAULT)]
    pub metrics_addr: MetricsAddr,
    #[command(flatten)]
    pub kafka: KafkaArgs,
}

fn default_policy() -> RestartPolicy {
    RestartPolicy::default()
}

/// Refuses to run when staging cannot hold every field of the reader schema.
fn refuse_if_staging_lags(pool: &PgPool) -> Result<(), Failure> {
    let mut conn = pool.get().map_err(Failure::database)?;
    let missing =
        guard::missing_in_database(&mut conn, schema_latest()).map_err(Failure::database)?;
    if !missing.is_empty() {
        return Err(Failure::Refused(format!(
            "staging.sales_events has no column for {} of the reader schema \
             (sale v{LATEST_SCHEMA_VERSION}); refusing to start rather than lose those fields. \
             Fix: run `superstore migrate` against this database",
            missing.join(", ")
        )));
    }
    let narrow =
        guard::narrow_in_database(&mut conn, schema_latest()).map_err(Failure::database)?;
    if narrow.is_empty() {
        return Ok(());
    }
    let columns: Vec<String> = narrow
        .iter()
        .map(|(column, have, wanted)| format!("{column} (scale {have}, the schema's {wanted})"))
        .collect();
    Err(Failure::Refused(format!(
        "staging.sales_events has fewer decimals than the reader schema (sale \
         v{LATEST_SCHEMA_VERSION}) in {}; refusing to start rather than round amounts. \
         Fix: run `superstore migrate` against this database",
        columns.join(", ")
    )))
}

/// The pipeline's settings from the arguments and the checked services; the
/// topic id is filled in once the topic is known to exist.
fn pipeline_settings(
    args: &RunArgs,
    endpoints: &Endpoints,
    kafka: KafkaSettings,
    pool: PgPool,
) -> Result<PipelineSettings, Failure> {
    Ok(PipelineSettings {
        kafka,
        registry: registry_access::client(&endpoints.schema_registry_url)?
            .with_unknown_schema_ttl(Duration::from_secs(args.unknown_schema_ttl_secs))
            .with_unknown_schema_lookups_per_sec(args.unknown_schema_lookups_per_sec),
        pool,
        database_url: endpoints.database_url.clone(),
        topic: args.topic.clone(),
        dlq_topic: args
            .dlq_topic
            .clone()
            .unwrap_or_else(|| dead_letter::default_topic(&args.topic)),
        topic_id: String::new(),
        group: args.group.clone(),
        instance_id: instance_id(args),
        batch: BatchPolicy {
            max_records: args.batch_size,
            linger: Duration::from_millis(args.linger_ms),
        },
        max_in_flight: args.max_in_flight,
        max_in_flight_bytes: args.max_in_flight_bytes,
        max_poll_interval: Duration::from_millis(args.max_poll_interval_ms.into()),
        session_timeout: Duration::from_millis(args.session_timeout_ms.into()),
        dedup_window: args.dedup_window,
        return_hold: Duration::from_secs(args.return_hold_secs),
        session_timeouts: session_timeouts(args),
        shutdown_timeout: Duration::from_secs(args.shutdown_timeout_secs),
        until_idle: args.until_idle,
        restart_policy: RestartPolicy {
            max_restarts: args.max_restarts,
            window: Duration::from_secs(args.restart_window_secs),
        },
        assigned: Default::default(),
    })
}

/// The instance id asked for; none when asked for `none`. Unasked, a
/// long-running pipeline is a static member named after its host and topic,
/// and a `--until-idle` run, a job that ends, is a dynamic member that
/// leaves its group when it is done (a static member would keep its
/// partitions for the session timeout after it ended).
fn instance_id(args: &RunArgs) -> Option<String> {
    match args.instance_id.as_deref().map(str::trim) {
        Some("none" | "") => None,
        Some(asked) => Some(asked.to_owned()),
        None if args.until_idle => None,
        None => Some(kafka::consumer_settings::default_instance_id(&args.topic)),
    }
}

fn session_timeouts(args: &RunArgs) -> SessionTimeouts {
    let millis = |ms: Option<u64>| ms.map(Duration::from_millis);
    SessionTimeouts::new(millis(args.lock_timeout_ms), millis(args.statement_timeout_ms))
}

pub fn run(args: RunArgs) -> anyhow::Result<()> {
    if args.batch_size == 0 {
        return Err(Failure::Usage("--batch-size must be at least 1".into()).into());
    }
    let exposition = observe::prepare(args.metrics_addr, observe::RUN_VARIABLE)?;
    let (endpoints, kafka_settings) = kafka_access::resolve(&args.kafka)?;
    let pool = super::database_access::pool_with_timeouts(
        &endpoints.database_url,
        4,
        session_timeouts(&args),
    )?;
    refuse_if_staging_lags(&pool)?;
    kafka_access::check(&kafka_settings)?;
    let settings = pipeline_settings(&args, &endpoints, kafka_settings, pool)?;
    let ledger = Arc::new(Ledger::default());
    let started = Instant::now();
    let stop_reason = actix::System::new().block_on(run_in_system(
        settings,
        ledger.clone(),
        endpoints.schema_registry_url,
        exposition,
    ))?;
    print_summary(&ledger, stop_reason, started.elapsed().as_secs_f64());
    Ok(())
}

/// How often the warehouse's last build is read (Prometheus scrapes every 15 s).
const WAREHOUSE_REFRESH: Duration = Duration::from_secs(15);

/// Inside the actix system: checks the registry, the topic and the stored
/// offsets, serves the metrics endpoint, and runs the pipeline until it stops.
async fn run_in_system(
    mut settings: PipelineSettings,
    ledger: Arc<Ledger>,
    registry_url: String,
    exposition: Option<Exposition>,
) -> anyhow::Result<StopReason> {
    let registry = &settings.registry;
    registry.subjects().await.map_err(|e| registry_access::failure(&registry_url, e))?;
    let kafka_settings = settings.kafka.clone();
    let bootstrap = kafka_settings.bootstrap();
    kafka::ensure_topic(&kafka_settings, &settings.topic, 3)
        .await
        .map_err(|e| Failure::kafka(bootstrap, e))?;
    // One partition: dead letters keep the order they were quarantined in.
    if let Err(e) = kafka::ensure_topic(&kafka_settings, &settings.dlq_topic, 1).await {
        tracing::warn!(error = %e, "the dead-letter topic is not there yet; it is retried");
    }
    // Blocking, before anything runs: refuses offsets that do not fit the topic.
    let (pool, group, topic) = (&settings.pool, &settings.group, &settings.topic);
    settings.topic_id = resume::verify(pool, &kafka_settings, group, topic)
        .map_err(|e| resume_failure(bootstrap, e))?
        .id;
    let readiness = Readiness {
        topic: settings.topic.clone(),
        assigned: settings.assigned.clone(),
        pool: settings.pool.clone(),
        registry_url,
        registry_credentials: registry_access::credentials()?,
        registry_tls: registry_access::tls(),
    };
    if exposition.is_some() {
        WarehouseBuildProbe::new(settings.pool.clone()).spawn(WAREHOUSE_REFRESH);
    }
    observe::serve(exposition, Some(readiness))?;
    let checked = settings.clone();
    run_pipeline(settings, ledger).await.map_err(|e| pipeline_failure(e, &checked))
}

/// How a pipeline that stopped early is told to the user.
fn pipeline_failure(err: PipelineError, settings: &PipelineSettings) -> anyhow::Error {
    let (pool, kafka_settings) = (&settings.pool, &settings.kafka);
    let (group, topic) = (&settings.group, &settings.topic);
    match err {
        PipelineError::GaveUp(gave_up) => Failure::GaveUp(gave_up).into(),
        PipelineError::Halted(SourceHalt::OffsetsInvalid(why)) => {
            // The check before a run gives the whole picture, with the fix.
            match resume::verify(pool, kafka_settings, group, topic) {
                Err(ResumeError::Refused(refused)) => Failure::Refused(refused.to_string()),
                _ => Failure::Refused(format!(
                    "{why}. Fix: `superstore offsets show --topic {topic}` shows the stored \
                     offsets; `superstore offsets reset` moves them"
                )),
            }
            .into()
        }
        PipelineError::Halted(SourceHalt::OffsetsUnreadable(why)) => Failure::database(why).into(),
        PipelineError::Halted(fenced @ SourceHalt::Fenced { .. }) => Failure::Usage(format!(
            "{fenced}. Fix: give each live instance an id of its own with --instance-id or \
             SUPERSTORE_INSTANCE_ID (the default, superstore-<hostname>-<topic>, fits one \
             instance per host and topic)"
        ))
        .into(),
        timed_out @ PipelineError::ShutdownTimedOut { .. } => {
            Failure::ShutdownTimedOut(timed_out.to_string()).into()
        }
        other => other.into(),
    }
}

/// How a failed check of the stored offsets is told to the user.
fn resume_failure(bootstrap: &str, err: ResumeError) -> Failure {
    match err {
        ResumeError::Kafka(e) => Failure::kafka(bootstrap, e),
        ResumeError::Database(e) => Failure::database(e),
        ResumeError::Refused(refused) => Failure::Refused(refused.to_string()),
    }
}

fn print_summary(ledger: &Ledger, stop_reason: StopReason, seconds: f64) {
    let consumed = ledger.consumed.load(Ordering::Relaxed);
    let rejected = ledger.rejected_by_reason();
    let rejected_total: u64 = rejected.values().sum();
    let how = match stop_reason {
        StopReason::Idle => "idle",
        StopReason::Signal => "stopped",
    };
    println!(
        "{how}: consumed {consumed}, accepted {}, rejected {rejected_total}, duplicates {}, \
         in {} batches, {seconds:.1} s ({:.0} events/s), {} restart(s)",
        ledger.inserted.load(Ordering::Relaxed),
        ledger.duplicates.load(Ordering::Relaxed),
        ledger.batches.load(Ordering::Relaxed),
        consumed as f64 / seconds.max(1e-9),
        ledger.restarts.load(Ordering::Relaxed),
    );
    for (reason, n) in rejected {
        println!("  rejected {reason}: {n}");
    }
    let returns = ledger.returns_inserted.load(Ordering::Relaxed);
    if returns > 0 {
        println!("  of the accepted, returns: {returns}");
    }
    if let Some(held) = ledger.held_returns().filter(|&held| held > 0) {
        println!(
            "  returns held for their sale: {held} (staged when it is, quarantined past \
             --return-hold-secs)"
        );
    }
    let (records, bytes) = ledger.peak_in_flight();
    println!("  in flight at most: {records} records, {bytes} bytes");
    if let Some(report) = ledger.dead_letters.lock().expect("ledger lock").as_ref() {
        if report.published > 0 || report.pending > 0 {
            let why =
                report.error.as_deref().map(|e| format!(" ({})", redact(e))).unwrap_or_default();
            println!(
                "  dead letters: {} published, {} waiting in staging to be sent again{why}",
                report.published, report.pending
            );
        }
    }
    let panics = ledger.panics.load(Ordering::Relaxed);
    if panics > 0 {
        println!("  records that panicked a stage: {panics} (quarantined as panicked_in_stage)");
    }
}
