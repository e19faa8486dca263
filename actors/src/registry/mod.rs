//! The schema registry: a subset of Confluent's REST API, stored in the
//! PostgreSQL schema `registry`, and the client the pipeline uses to talk to
//! it (or to any Confluent-compatible registry).

pub mod client;
mod error;
mod schema_text;
pub mod server;
mod store;

pub mod compatibility;
pub use client::{RegistryClient, RegistryClientError};
pub use error::RegistryError;
pub use schema_text::NormalizedSchema;

/// Media type of every request and response body of the API.
pub const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";
