//! The environment variables `superstore` reads that are not a flag's own
//! (a flag's variable is declared on the flag, `env = ...`). Their names are
//! the constants the code reads them through; their defaults and meanings
//! are declared here once, and the book's configuration page is generated
//! from this list and from the flags.

use super::registry_access;
use superstore_kafka_settings::rules;
use superstore_stack::{endpoints, variables, StackPorts};

/// One variable of the environment.
pub struct Variable {
    pub name: &'static str,
    /// What applies when it is unset.
    pub default: String,
    pub meaning: &'static str,
}

fn variable(name: &'static str, default: impl Into<String>, meaning: &'static str) -> Variable {
    Variable { name, default: default.into(), meaning }
}

/// Where the services are. All three set: your own; none: the local stack.
pub fn services() -> Vec<Variable> {
    let stack = "the local stack's";
    vec![
        variable(endpoints::KAFKA_BOOTSTRAP_SERVERS, stack, "Kafka's bootstrap servers"),
        variable(endpoints::DATABASE_URL, stack, "PostgreSQL, as a libpq URL"),
        variable(endpoints::SCHEMA_REGISTRY_URL, stack, "The schema registry's base URL"),
    ]
}

/// How clients authenticate and verify the servers (secrets stay in the
/// environment: never in a file of the repository, a log or an error).
pub fn security() -> Vec<Variable> {
    let mut list: Vec<Variable> = rules::VARIABLES
        .iter()
        .map(|(name, key)| Variable { name, default: "unset".into(), meaning: key_meaning(key) })
        .collect();
    list.extend([
        variable(registry_access::USER_INFO, "unset", "Registry basic auth, `user:password`"),
        variable(registry_access::CA_LOCATION, "the system's roots", "CA of the registry"),
        variable(registry_access::CERTIFICATE_LOCATION, "unset", "Registry client certificate"),
        variable(registry_access::KEY_LOCATION, "unset", "Key of that certificate"),
        variable(
            super::registry::BASIC_AUTH,
            "unset",
            "`superstore registry`: the `user:password` it requires",
        ),
    ]);
    list
}

/// The librdkafka key a `KAFKA_*` variable sets, as the table says it.
fn key_meaning(key: &str) -> &'static str {
    match key {
        "security.protocol" => "librdkafka `security.protocol`",
        "sasl.mechanisms" => "librdkafka `sasl.mechanisms`",
        "sasl.username" => "librdkafka `sasl.username`",
        "sasl.password" => "librdkafka `sasl.password` (a secret)",
        "ssl.ca.location" => "librdkafka `ssl.ca.location`",
        "ssl.certificate.location" => "librdkafka `ssl.certificate.location`",
        "ssl.key.location" => "librdkafka `ssl.key.location`",
        _ => "a librdkafka setting",
    }
}

/// The local stack: where it lives, its ports, the tools it runs.
pub fn local_stack() -> Vec<Variable> {
    let ports = StackPorts::DEFAULT;
    vec![
        variable(variables::HOME, ".superstore", "The stack's directory"),
        variable(variables::POSTGRES_PORT, ports.postgres.to_string(), "PostgreSQL's port"),
        variable(variables::KAFKA_PORT, ports.kafka.to_string(), "The first broker's port"),
        variable(
            variables::KAFKA_CONTROLLER_PORT,
            ports.kafka_controller.to_string(),
            "The first controller's port",
        ),
        variable(variables::REGISTRY_PORT, ports.registry.to_string(), "The registry's port"),
        variable(
            variables::PROMETHEUS_PORT,
            ports.prometheus.to_string(),
            "The local Prometheus's port",
        ),
        variable(variables::PG_BIN_DIR, "PATH, then Debian's", "PostgreSQL's server tools"),
        variable(variables::PROMETHEUS_BIN, "`prometheus` on the PATH", "Prometheus's binary"),
        variable(variables::JAVA_HOME, "`java` on the PATH", "The Java that runs Kafka"),
        variable("RUST_LOG", "info (debug with -v)", "Log filter, as tracing reads it"),
    ]
}
