//! The command line of `superstore` (clap). Every subcommand has `--help`.
//! Each command is thin: it parses its arguments, resolves the endpoints
//! (the environment's or the local stack's), calls a crate, and reports
//! through [`failure`] with a meaningful exit code.

pub mod failure;
mod generate;
mod import;
mod migrate;
mod observe;
mod offsets;
mod registry;
mod registry_access;
mod replay;
mod run;
mod schemas;
mod stack;
pub mod telemetry;

use clap::{Parser, Subcommand};
use generate::GenerateArgs;
use import::ImportArgs;
use offsets::OffsetsArgs;
use replay::ReplayArgs;
use run::RunArgs;
use schemas::SchemasArgs;
use std::net::SocketAddr;
use telemetry::LogFormat;

/// The Superstore streaming data platform: sale events from Kafka to a PostgreSQL warehouse.
///
/// Without KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL and SCHEMA_REGISTRY_URL, commands use the
/// local stack under .superstore/ (or SUPERSTORE_HOME), starting it when needed.
#[derive(Debug, Parser)]
#[command(name = "superstore", version, propagate_version = true)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, env = "SUPERSTORE_LOG_FORMAT", value_enum, default_value = "human")]
    pub log_format: LogFormat,
    /// More detailed logs (RUST_LOG overrides).
    #[arg(short, long, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the local stack (PostgreSQL, Kafka, registry) and wait until every service
    /// answers.
    Up {
        /// Also start a local Prometheus (SUPERSTORE_PROMETHEUS_PORT, default 19090) that
        /// scrapes run, generate and the registry, with the alert rules loaded.
        #[arg(long, env = "SUPERSTORE_MONITORING")]
        monitoring: bool,
        /// Kafka brokers: 1, or a local cluster of 3 or more in one KRaft quorum (replication
        /// factor 3, min.insync.replicas 2); by default as last started. Node i listens on
        /// SUPERSTORE_KAFKA_PORT + 2i, its controller on SUPERSTORE_KAFKA_CONTROLLER_PORT + 2i.
        #[arg(long, env = "SUPERSTORE_KAFKA_BROKERS")]
        brokers: Option<u16>,
    },
    /// Stop the local stack (and its Prometheus); its data stays on disk.
    Down {
        /// Stop only the local Prometheus; the other services keep running.
        #[arg(long)]
        monitoring_only: bool,
    },
    /// Show whether each service of the local stack answers (exit 3 if one does not).
    Status {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print the `export` lines that point other tools at the running local stack.
    Env,
    /// Apply the embedded database migrations.
    Migrate,
    /// Serve the schema registry (Confluent API) over HTTP.
    Registry {
        /// Address to listen on.
        #[arg(long, env = "SUPERSTORE_REGISTRY_BIND", default_value = "127.0.0.1:8081")]
        bind: SocketAddr,
        /// Largest request body (a schema in its JSON envelope) accepted, in bytes; larger ones
        /// get 413. Basic authentication is on when SUPERSTORE_REGISTRY_BASIC_AUTH=user:password
        /// is set (environment only).
        #[arg(
            long,
            env = "SUPERSTORE_REGISTRY_MAX_BODY_BYTES",
            default_value_t = superstore_registry::http::DEFAULT_MAX_BODY_BYTES
        )]
        max_body_bytes: usize,
    },
    /// Publish seeded sale events to Kafka.
    Generate(GenerateArgs),
    /// Publish the lines of CSV or Parquet files in the classic Superstore layout as sale
    /// events (exit 6 if some lines were refused, 4 if a file cannot be read at all).
    Import(ImportArgs),
    /// Register, check, list and configure the sale schemas in the registry.
    Schemas(SchemasArgs),
    /// Run the pipeline: consume, decode, validate, deduplicate and stage the events, exactly
    /// once.
    Run(RunArgs),
    /// Show or reset a consumer group's offsets stored in PostgreSQL (where `run` resumes).
    Offsets(OffsetsArgs),
    /// Re-publish quarantined records from the dead-letter topic to the sales topic (after the
    /// cause was fixed); prints what it did.
    Replay(ReplayArgs),
}

/// Runs one command.
pub fn dispatch(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Up { monitoring, brokers } => stack::up(monitoring, brokers),
        Command::Down { monitoring_only } => stack::down(monitoring_only),
        Command::Status { json } => stack::status(json),
        Command::Env => stack::env(),
        Command::Migrate => migrate::run(),
        Command::Registry { bind, max_body_bytes } => registry::run(bind, max_body_bytes),
        Command::Generate(args) => generate::run(args),
        Command::Import(args) => import::run(args),
        Command::Run(args) => run::run(args),
        Command::Schemas(args) => schemas::run(args),
        Command::Offsets(args) => offsets::run(args),
        Command::Replay(args) => replay::run(args),
    }
}
