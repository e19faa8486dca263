//! The command line of `superstore` (clap). Every subcommand has `--help`.
//! Each command is thin: it parses its arguments, resolves the endpoints
//! (the environment's or the local stack's), calls a crate, and reports
//! through [`failure`] with a meaningful exit code.

mod database_access;
#[cfg(test)]
mod environment;
pub mod failure;
mod generate;
mod import;
mod kafka_access;
mod migrate;
mod observe;
mod offsets;
#[cfg(test)]
mod reference_pages;
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
use registry::RegistryArgs;
use replay::ReplayArgs;
use run::RunArgs;
use schemas::SchemasArgs;
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
        /// TLS and authentication on every client connection: a CA and certificates made under
        /// the stack's home, Kafka on SASL_SSL (SCRAM-SHA-512, SCRAM-SHA-256, PLAIN) with SSL
        /// listeners on SUPERSTORE_KAFKA_PORT + 2 (mutual TLS) and + 4, the registry over HTTPS
        /// with basic auth, PostgreSQL with TLS only. Remembered; `--plain` switches back (after
        /// `superstore down`). `superstore env` prints what clients need.
        #[arg(long, conflicts_with = "plain")]
        secure: bool,
        /// Plaintext and no authentication, on loopback (the default).
        #[arg(long)]
        plain: bool,
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
    /// Print the `export` lines that point other tools at the running local stack (with the
    /// secure stack's credentials and CA).
    Env,
    /// Apply the embedded database migrations.
    Migrate,
    /// Serve the schema registry (Confluent API) over HTTP, or HTTPS with --tls-cert and
    /// --tls-key.
    Registry(RegistryArgs),
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
        Command::Up { monitoring, brokers, secure, plain } => {
            let mode = (secure || plain).then_some(secure);
            stack::up(monitoring, brokers, mode)
        }
        Command::Down { monitoring_only } => stack::down(monitoring_only),
        Command::Status { json } => stack::status(json),
        Command::Env => stack::env(),
        Command::Migrate => migrate::run(),
        Command::Registry(args) => registry::run(args),
        Command::Generate(args) => generate::run(args),
        Command::Import(args) => import::run(args),
        Command::Run(args) => run::run(args),
        Command::Schemas(args) => schemas::run(args),
        Command::Offsets(args) => offsets::run(args),
        Command::Replay(args) => replay::run(args),
    }
}
