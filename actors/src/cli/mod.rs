//! The command line of `superstore` (clap). Every subcommand has `--help`.
//! Each command is thin: it parses its arguments, resolves the endpoints
//! (the environment's or the local stack's), calls a crate, and reports
//! through [`failure`] with a meaningful exit code.

pub mod failure;
mod generate;
mod migrate;
mod offsets;
mod registry;
mod replay;
mod run;
mod schemas;
mod stack;
pub mod telemetry;

use clap::{Parser, Subcommand};
use generate::GenerateArgs;
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
    Up,
    /// Stop the local stack; its data stays on disk.
    Down,
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
    },
    /// Publish seeded sale events to Kafka.
    Generate(GenerateArgs),
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
        Command::Up => stack::up(),
        Command::Down => stack::down(),
        Command::Status { json } => stack::status(json),
        Command::Env => stack::env(),
        Command::Migrate => migrate::run(),
        Command::Registry { bind } => registry::run(bind),
        Command::Generate(args) => generate::run(args),
        Command::Run(args) => run::run(args),
        Command::Schemas(args) => schemas::run(args),
        Command::Offsets(args) => offsets::run(args),
        Command::Replay(args) => replay::run(args),
    }
}
