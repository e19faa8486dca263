//! Structured logs through `tracing`: human-readable by default, JSON on
//! request, to stderr so that stdout stays for results. Every line, and
//! every panic message, is redacted on its way out: the fields of any
//! crate's events (a library's error quoting a URL among them) then never
//! carry a password, whatever its call site remembered.

use std::io::{IsTerminal, Write};
use superstore_database::redact;
use tracing_subscriber::fmt::MakeWriter;
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
        .with_writer(RedactedStderr)
        .with_ansi(std::io::stderr().is_terminal());
    match format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
    redact_panics();
}

/// Stderr, one redacted event at a time.
struct RedactedStderr;

impl<'a> MakeWriter<'a> for RedactedStderr {
    type Writer = RedactedEvent;

    fn make_writer(&'a self) -> RedactedEvent {
        RedactedEvent(Vec::new())
    }
}

/// Collects one formatted event (the formatter writes it whole to one
/// writer), and writes it redacted when the event is done.
struct RedactedEvent(Vec<u8>);

impl Write for RedactedEvent {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for RedactedEvent {
    fn drop(&mut self) {
        let line = redact(&String::from_utf8_lossy(&self.0));
        // Nowhere left to report a failed write to stderr.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

/// Panic messages go to stderr redacted, with the backtrace when
/// `RUST_BACKTRACE` asks for it, as the default hook would.
fn redact_panics() {
    std::panic::set_hook(Box::new(|info| {
        let thread = std::thread::current();
        let name = thread.name().unwrap_or("<unnamed>");
        let location = info.location().map(ToString::to_string).unwrap_or_default();
        let message = superstore_actors::supervision::panic_message(info.payload());
        let backtrace = std::backtrace::Backtrace::capture();
        let trace = match backtrace.status() {
            std::backtrace::BacktraceStatus::Captured => format!("\n{backtrace}"),
            _ => String::new(),
        };
        eprintln!("thread '{name}' panicked at {location}:\n{}{trace}", redact(&message));
    }));
}
