//! The `superstore` binary: parses the command line and runs one command.

use clap::Parser;
use std::process::ExitCode;
use superstore_actors::cli::{Cli, Command};
use superstore_actors::{commands, failure, generate, telemetry};

fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.log_format, cli.verbose);
    let outcome = match cli.command {
        Command::Up => commands::stack::up(),
        Command::Down => commands::stack::down(),
        Command::Status { json } => commands::stack::status(json),
        Command::Env => commands::stack::env(),
        Command::Migrate => commands::migrate::run(),
        Command::Registry { bind } => commands::serve_registry::run(bind),
        Command::Generate(args) => generate::run(args),
        Command::Run(args) => commands::run::run(args),
        Command::Schemas(args) => commands::schemas::run(args),
    };
    failure::report(outcome)
}
