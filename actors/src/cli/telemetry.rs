//! Structured logs through `tracing`: human-readable by default, JSON on
//! request, to stderr so that stdout stays for results.

use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

/// The log targets of this project's code (the registry's HTTP access log,
/// `superstore::registry::http`, is left at the general level).
const OUR_TARGETS: [&str; 5] = [
    "superstore::cli",
    "superstore_actors",
    "superstore_registry",
    "superstore_stack",
    "superstore_database",
];

/// Installs the global subscriber. `RUST_LOG` overrides the default level.
pub fn init(format: LogFormat, verbose: bool) {
    let (general, ours) = if verbose { ("info", "debug") } else { ("warn", "info") };
    let default: Vec<String> = std::iter::once(general.to_owned())
        .chain(OUR_TARGETS.iter().map(|target| format!("{target}={ours}")))
        .collect();
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default.join(",")));
    // Colours only on a terminal: logs redirected to a file stay plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}
