//! What a command can fail with, as the user sees it: a message that names
//! the cause and the fix, and an exit code that scripts can branch on.

use std::process::ExitCode;
use superstore_actors::kafka::{ConnectionError, KafkaError};

/// Exit codes of `superstore`.
pub mod code {
    /// Something unexpected; the message says what.
    pub const INTERNAL: u8 = 1;
    /// Bad arguments or settings (clap uses 2 as well).
    pub const USAGE: u8 = 2;
    /// A service (Kafka, PostgreSQL, the registry) could not be reached or started.
    pub const UNAVAILABLE: u8 = 3;
    /// Input was refused: an invalid or incompatible schema, a bad file.
    pub const REFUSED: u8 = 4;
    /// An actor failed more often than the supervision policy allows.
    pub const GAVE_UP: u8 = 5;
    /// Some input lines were refused (each reported); the rest was published.
    pub const PARTLY_REFUSED: u8 = 6;
    /// A stopping run did not commit its open batch within the shutdown bound: the batch
    /// was rolled back whole, and the next run resumes from the stored offsets.
    pub const SHUTDOWN_TIMED_OUT: u8 = 7;
}

#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("{0}")]
    Usage(String),
    #[error("{service} is unreachable: {cause}\nFix: {fix}")]
    Unreachable { service: &'static str, cause: String, fix: String },
    #[error("local stack: {0}")]
    Stack(#[from] superstore_stack::StackError),
    #[error("{0}")]
    Refused(String),
    #[error(
        "{0}\nFix: remove the cause named above (the logs say more), then run the command again; \
         it resumes where it stopped"
    )]
    GaveUp(superstore_actors::supervision::GaveUp),
    #[error("{0}")]
    PartlyRefused(String),
    #[error(
        "{0}\nFix: find what held the commit (a lock on a staging table, a registry or \
         database that stopped answering: the warnings above name it), or allow more time \
         with --shutdown-timeout-secs"
    )]
    ShutdownTimedOut(String),
}

impl From<superstore_stack::EndpointError> for Failure {
    fn from(err: superstore_stack::EndpointError) -> Self {
        match err {
            superstore_stack::EndpointError::Partial { .. }
            | superstore_stack::EndpointError::SecureStack => Failure::Usage(err.to_string()),
            superstore_stack::EndpointError::Stack(e) => Failure::Stack(e),
        }
    }
}

impl Failure {
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) => code::USAGE,
            Failure::Unreachable { .. } | Failure::Stack(_) => code::UNAVAILABLE,
            Failure::Refused(_) => code::REFUSED,
            Failure::GaveUp(_) => code::GAVE_UP,
            Failure::PartlyRefused(_) => code::PARTLY_REFUSED,
            Failure::ShutdownTimedOut(_) => code::SHUTDOWN_TIMED_OUT,
        }
    }

    /// Kafka could not be reached at `bootstrap`, or refused the
    /// connection: a refusal (credentials, TLS, protocol) is a setting to
    /// fix (exit 2, one line), not a service to start.
    pub fn kafka<E: std::error::Error + 'static>(bootstrap: &str, cause: E) -> Self {
        let dynamic: &(dyn std::error::Error + 'static) = &cause;
        if let Some(KafkaError::Connection(refused @ ConnectionError::Refused { .. })) =
            dynamic.downcast_ref::<KafkaError>()
        {
            return Failure::Usage(refused.to_string());
        }
        Failure::Unreachable {
            service: "Kafka",
            cause: cause.to_string(),
            fix: format!(
                "start the local stack with `superstore up`, \
                 or point KAFKA_BOOTSTRAP_SERVERS (now {bootstrap}) at a running broker"
            ),
        }
    }

    /// The registry could not be reached at `url`.
    pub fn registry(url: &str, cause: impl ToString) -> Self {
        Failure::Unreachable {
            service: "the schema registry",
            cause: cause.to_string(),
            fix: format!(
                "start the local stack with `superstore up`, \
                 or point SCHEMA_REGISTRY_URL (now {}) at a running registry",
                superstore_database::redact(url)
            ),
        }
    }

    /// PostgreSQL could not be reached.
    /// Migrations did not apply: unreachable PostgreSQL (exit 3), or a
    /// migration the database refused (exit 4, with PostgreSQL's reason).
    pub fn migration(err: superstore_database::DbError) -> Self {
        match err {
            superstore_database::DbError::Migrate(reason) => Failure::Refused(format!(
                "a migration failed and was rolled back (any before it stay applied): {reason}\n\
                 Fix: act on the reason above, then run `superstore migrate` again"
            )),
            other => super::database_access::failure(other),
        }
    }

    pub fn database(cause: impl ToString) -> Self {
        Failure::Unreachable {
            service: "PostgreSQL",
            cause: cause.to_string(),
            fix: "start the local stack with `superstore up`, \
                  or point DATABASE_URL at a running server"
                .into(),
        }
    }
}

/// Maps the outcome of a command to the process exit code, printing the
/// error with its causes, redacted: a library's error may quote a URL.
pub fn report(outcome: anyhow::Result<()>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let code = err.downcast_ref::<Failure>().map_or(code::INTERNAL, Failure::exit_code);
            eprintln!("error: {}", superstore_database::redact(&format!("{err:#}")));
            ExitCode::from(code)
        }
    }
}
