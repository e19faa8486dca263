//! The names of the environment variables the local stack reads, in one
//! place: the code reads them through these constants, and the book's
//! configuration page lists them from the same constants.

/// The stack's directory (default `.superstore/` under the current one).
pub const HOME: &str = "SUPERSTORE_HOME";
/// PostgreSQL's port.
pub const POSTGRES_PORT: &str = "SUPERSTORE_POSTGRES_PORT";
/// The first Kafka broker's client port.
pub const KAFKA_PORT: &str = "SUPERSTORE_KAFKA_PORT";
/// The first Kafka controller's port.
pub const KAFKA_CONTROLLER_PORT: &str = "SUPERSTORE_KAFKA_CONTROLLER_PORT";
/// The schema registry's port.
pub const REGISTRY_PORT: &str = "SUPERSTORE_REGISTRY_PORT";
/// The local Prometheus's port.
pub const PROMETHEUS_PORT: &str = "SUPERSTORE_PROMETHEUS_PORT";
/// Where PostgreSQL's server tools are, when not on the PATH.
pub const PG_BIN_DIR: &str = "PG_BIN_DIR";
/// The Prometheus binary, when not on the PATH.
pub const PROMETHEUS_BIN: &str = "PROMETHEUS_BIN";
/// The Java runtime that runs Kafka.
pub const JAVA_HOME: &str = "JAVA_HOME";
