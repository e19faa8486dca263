//! Structured logs through `tracing`: human-readable by default, JSON on
//! request, to stderr so that stdout stays for results.

use tracing_subscriber::EnvFilter;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

/// Installs the global subscriber. `RUST_LOG` overrides the default level.
pub fn init(format: LogFormat, verbose: bool) {
    let default = if verbose { "info,superstore_actors=debug" } else { "warn,superstore_actors=info" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}
