//! The `superstore` binary: parses the command line and runs one command.

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    cli::telemetry::init(cli.log_format, cli.verbose);
    cli::failure::report(cli::dispatch(cli.command))
}
