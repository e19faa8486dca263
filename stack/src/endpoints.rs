//! Where the services are: the three environment variables when they are
//! set, the local stack (started on demand) when none is. Setting only some
//! of them is refused, naming the missing ones.

use crate::{LocalStack, StackError};

/// The variable naming Kafka's brokers, comma-separated `host:port`s.
pub const KAFKA_BOOTSTRAP_SERVERS: &str = "KAFKA_BOOTSTRAP_SERVERS";
/// The variable holding PostgreSQL's libpq URL.
pub const DATABASE_URL: &str = "DATABASE_URL";
/// The variable holding the schema registry's base URL.
pub const SCHEMA_REGISTRY_URL: &str = "SCHEMA_REGISTRY_URL";

const VARIABLES: [&str; 3] = [KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL, SCHEMA_REGISTRY_URL];

/// The three addresses every command needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// Kafka's brokers, comma-separated `host:port`s.
    pub kafka_bootstrap_servers: String,
    /// PostgreSQL, as a libpq URL (it may carry a password: print it
    /// through `superstore_database::redact`).
    pub database_url: String,
    /// The schema registry's base URL.
    pub schema_registry_url: String,
}

/// Why the endpoints could not be decided.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    /// Some of the three variables are set and some are not: the services
    /// meant cannot be guessed.
    #[error(
        "{} {} not set while the other service variables are. Set all three of {} to use \
         your own services, or none to use the local stack",
        missing.join(" and "),
        if missing.len() == 1 { "is" } else { "are" },
        VARIABLES.join(", ")
    )]
    Partial {
        /// The variables that are not set.
        missing: Vec<&'static str>,
    },
    /// None of the variables is set and the local stack runs secure: the
    /// command would lack its credentials.
    #[error(
        "the local stack runs with --secure: its clients need its credentials and CA. Fix: run \
         `eval \"$(superstore env)\"` first (or set all three of {} yourself)",
        VARIABLES.join(", ")
    )]
    SecureStack,
    /// The local stack could not be read or started.
    #[error(transparent)]
    Stack(#[from] StackError),
}

/// A variable's value, if it is set to something.
fn variable(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The endpoints from the environment, or None when none of the variables is set.
pub fn from_environment() -> Result<Option<Endpoints>, EndpointError> {
    from_environment_with(None)
}

/// The same, with `kafka_bootstrap` (a Kafka properties file's
/// `bootstrap.servers`) standing in for `KAFKA_BOOTSTRAP_SERVERS` when that
/// is unset.
pub fn from_environment_with(
    kafka_bootstrap: Option<&str>,
) -> Result<Option<Endpoints>, EndpointError> {
    let mut values: Vec<Option<String>> = VARIABLES.iter().map(|name| variable(name)).collect();
    if values[0].is_none() {
        values[0] = kafka_bootstrap.map(str::to_owned).filter(|v| !v.trim().is_empty());
    }
    match values.as_slice() {
        [Some(kafka), Some(database), Some(registry)] => Ok(Some(Endpoints {
            kafka_bootstrap_servers: kafka.clone(),
            database_url: database.clone(),
            schema_registry_url: registry.trim_end_matches('/').to_owned(),
        })),
        [None, None, None] => Ok(None),
        _ => {
            let missing =
                VARIABLES.iter().zip(&values).filter(|(_, v)| v.is_none()).map(|(n, _)| *n);
            Err(EndpointError::Partial { missing: missing.collect() })
        }
    }
}

/// The environment's endpoints, or the local stack's, started if needed.
pub fn resolve() -> Result<Endpoints, EndpointError> {
    resolve_with(None)
}

/// [`resolve`], with a Kafka properties file's `bootstrap.servers` (see
/// [`from_environment_with`]).
pub fn resolve_with(kafka_bootstrap: Option<&str>) -> Result<Endpoints, EndpointError> {
    if let Some(endpoints) = from_environment_with(kafka_bootstrap)? {
        return Ok(endpoints);
    }
    let stack = LocalStack::from_environment()?;
    if stack.is_secure() {
        // Its clients need its credentials and CA, which only the
        // environment carries to every tool alike.
        return Err(EndpointError::SecureStack);
    }
    Ok(stack.up(None, None)?)
}

/// The database alone: `DATABASE_URL`, or the local stack's cluster (which
/// must have been started). What a process that needs only PostgreSQL uses.
pub fn database_url() -> Result<String, StackError> {
    match variable(DATABASE_URL) {
        Some(url) => Ok(url),
        None => Ok(LocalStack::from_environment()?.endpoints()?.database_url),
    }
}
