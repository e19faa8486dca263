//! Where the services are: the three environment variables when they are
//! set, the local stack (started on demand) when none is.

use crate::failure::Failure;
use crate::stack::{LocalStack, StackEndpoints};

pub const KAFKA_BOOTSTRAP_SERVERS: &str = "KAFKA_BOOTSTRAP_SERVERS";
pub const DATABASE_URL: &str = "DATABASE_URL";
pub const SCHEMA_REGISTRY_URL: &str = "SCHEMA_REGISTRY_URL";

const VARIABLES: [&str; 3] = [KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL, SCHEMA_REGISTRY_URL];

/// The services a command talks to.
pub type Endpoints = StackEndpoints;

/// The endpoints from the environment, or None when none of the variables is set.
pub fn from_environment() -> Result<Option<Endpoints>, Failure> {
    let values: Vec<Option<String>> =
        VARIABLES.iter().map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty())).collect();
    match values.as_slice() {
        [Some(kafka), Some(database), Some(registry)] => Ok(Some(Endpoints {
            kafka_bootstrap_servers: kafka.clone(),
            database_url: database.clone(),
            schema_registry_url: registry.trim_end_matches('/').to_owned(),
        })),
        [None, None, None] => Ok(None),
        _ => {
            let missing: Vec<&str> =
                VARIABLES.iter().zip(&values).filter(|(_, v)| v.is_none()).map(|(name, _)| *name).collect();
            let verb = if missing.len() == 1 { "is" } else { "are" };
            Err(Failure::Usage(format!(
                "{} {verb} not set while the other service variables are. Set all three of {} to use your own services, or none to use the local stack",
                missing.join(" and "),
                VARIABLES.join(", ")
            )))
        }
    }
}

/// The environment's endpoints, or the local stack's, started if needed.
pub fn resolve() -> Result<Endpoints, Failure> {
    if let Some(endpoints) = from_environment()? {
        return Ok(endpoints);
    }
    let stack = LocalStack::from_environment().map_err(Failure::Stack)?;
    stack.up().map_err(Failure::Stack)
}
