//! `superstore run`: the ingestion pipeline, from the sales topic to the
//! PostgreSQL staging layer, exactly once.

use crate::endpoints;
use crate::failure::Failure;
use crate::pipeline::decoder::Decoder;
use crate::pipeline::dedup::Dedup;
use crate::pipeline::ledger::Ledger;
use crate::pipeline::source::{Shutdown, Source, SourceSettings, StopReason};
use crate::pipeline::staging_store::StagingStore;
use crate::pipeline::validator::Validator;
use crate::pipeline::writer::{BatchPolicy, Writer};
use crate::registry::RegistryClient;
use actix::{SyncArbiter, Supervisor};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use crate::pipeline::staging_columns::{missing_columns, staging_columns};
use superstore_domain::{schema_latest, LATEST_SCHEMA_VERSION};

#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Exit 0 once every assigned partition is drained and committed.
    #[arg(long)]
    pub until_idle: bool,
    /// Topic to consume.
    #[arg(long, env = "SUPERSTORE_TOPIC", default_value = "superstore.sales")]
    pub topic: String,
    /// Consumer group; its offsets live in staging.consumer_offsets.
    #[arg(long, default_value = "superstore-staging")]
    pub group: String,
    /// A batch commits once it holds this many records…
    #[arg(long, env = "SUPERSTORE_BATCH_SIZE", default_value_t = 5000)]
    pub batch_size: usize,
    /// …or once its first record waited this many milliseconds.
    #[arg(long, env = "SUPERSTORE_LINGER_MS", default_value_t = 250)]
    pub linger_ms: u64,
    /// Consumed but uncommitted records above which the source pauses.
    #[arg(long, default_value_t = 50_000)]
    pub max_in_flight: u64,
    /// Event ids the dedup stage remembers (rebuilt from staging on start).
    #[arg(long, default_value_t = 500_000)]
    pub dedup_window: usize,
}

/// Refuses to run when staging cannot hold every field of the reader schema.
fn refuse_if_staging_lags(pool: &crate::db::PgPool) -> Result<(), Failure> {
    let mut conn = pool.get().map_err(Failure::database)?;
    let existing = staging_columns(&mut conn).map_err(Failure::database)?;
    let missing = missing_columns(schema_latest(), &existing);
    if missing.is_empty() {
        return Ok(());
    }
    Err(Failure::Refused(format!(
        "staging.sales_events has no column for {} of the reader schema (sale v{LATEST_SCHEMA_VERSION}); \
         refusing to start rather than lose those fields. Fix: run `superstore migrate` against this database",
        missing.join(", ")
    )))
}

pub fn run(args: RunArgs) -> anyhow::Result<()> {
    if args.batch_size == 0 {
        return Err(Failure::Usage("--batch-size must be at least 1".into()).into());
    }
    let endpoints = endpoints::resolve()?;
    let pool = crate::db::pool(&endpoints.database_url, 4).map_err(Failure::database)?;
    refuse_if_staging_lags(&pool)?;
    let bootstrap = endpoints.kafka_bootstrap_servers.clone();
    crate::kafka::probe(&bootstrap, Duration::from_secs(10)).map_err(|e| Failure::kafka(&bootstrap, e))?;
    let registry_url = endpoints.schema_registry_url.clone();

    let ledger = Arc::new(Ledger::default());
    let started = Instant::now();
    let stop_reason = actix::System::new().block_on({
        let ledger = ledger.clone();
        async move {
            let registry = RegistryClient::new(&registry_url);
            registry.subjects().await.map_err(|e| Failure::registry(&registry_url, e))?;
            crate::kafka::ensure_topic(&bootstrap, &args.topic, 3).await.map_err(|e| Failure::kafka(&bootstrap, e))?;

            let store_pool = pool.clone();
            let (group, topic) = (args.group.clone(), args.topic.clone());
            let store = SyncArbiter::start(1, move || StagingStore::new(store_pool.clone(), group.clone(), topic.clone()));
            let policy = BatchPolicy { max_records: args.batch_size, linger: Duration::from_millis(args.linger_ms) };
            let writer = Supervisor::start({
                let ledger = ledger.clone();
                move |_| Writer::new(store, ledger, policy)
            });
            let dedup = Supervisor::start({
                let pool = pool.clone();
                move |_| Dedup::new(pool, args.dedup_window, writer)
            });
            let validator = Supervisor::start(move |_| Validator::new(dedup));
            let reader = Arc::new(schema_latest().clone());
            let decoder = Supervisor::start(move |_| Decoder::new(registry, reader, validator));
            let settings = SourceSettings {
                bootstrap: bootstrap.clone(),
                group_id: args.group.clone(),
                topic: args.topic.clone(),
                pool: pool.clone(),
                chunk_size: 1000,
                max_in_flight: args.max_in_flight,
                until_idle: args.until_idle,
            };
            let (finished_tx, finished_rx) = tokio::sync::oneshot::channel();
            let source = Supervisor::start({
                let ledger = ledger.clone();
                move |_| Source::new(settings, decoder, ledger, finished_tx)
            });
            tracing::info!(topic = %args.topic, group = %args.group, "pipeline running");

            let signals = async {
                let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {},
                    _ = term.recv() => {},
                }
                Ok::<_, std::io::Error>(())
            };
            tokio::pin!(finished_rx);
            let reason = tokio::select! {
                reason = &mut finished_rx => reason?,
                _ = signals => {
                    eprintln!("stopping: committing the open batch (a second signal aborts; the transaction keeps staging whole)");
                    source.do_send(Shutdown);
                    tokio::spawn(async {
                        let _ = tokio::signal::ctrl_c().await;
                        std::process::exit(130);
                    });
                    finished_rx.await?
                }
            };
            Ok::<_, anyhow::Error>(reason)
        }
    })?;

    let seconds = started.elapsed().as_secs_f64();
    let consumed = ledger.consumed.load(Ordering::Relaxed);
    let rejected = ledger.rejected_by_reason();
    let rejected_total: u64 = rejected.values().sum();
    println!(
        "{}: consumed {consumed}, accepted {}, rejected {rejected_total}, duplicates {}, in {} batches, {:.1} s ({:.0} events/s), {} restart(s)",
        match stop_reason {
            StopReason::Idle => "idle",
            StopReason::Signal => "stopped",
        },
        ledger.inserted.load(Ordering::Relaxed),
        ledger.duplicates.load(Ordering::Relaxed),
        ledger.batches.load(Ordering::Relaxed),
        seconds,
        consumed as f64 / seconds.max(1e-9),
        ledger.restarts.load(Ordering::Relaxed),
    );
    for (reason, n) in rejected {
        println!("  rejected {reason}: {n}");
    }
    Ok(())
}
