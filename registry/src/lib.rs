//! # superstore-registry
//!
//! The schema registry: a subset of Confluent's REST API, stored in the
//! PostgreSQL schema `registry`, and the client that talks to it (or to any
//! Confluent-compatible registry). Four layers, each knowing only the one
//! below it:
//!
//! - [`compatibility`]: the pure checker, schema pairs in, verdicts out;
//! - `repository`: stores and loads rows, nothing more;
//! - `service`: the rules (levels, id reuse, deletes);
//! - [`http`]: actix-web routes, the only place that speaks in Confluent's
//!   error codes, with optional basic authentication and a body size limit.
//!
//! Beside them, the client ([`RegistryClient`]), the basic-auth
//! credentials both sides share ([`BasicAuth`]), and the subject a record's
//! schema goes under ([`subject_for_record`]).

#![warn(missing_docs)]

mod basic_auth;
mod client;
pub mod compatibility;
pub mod http;
mod repository;
mod schema_text;
mod service;
mod subject_names;

pub use basic_auth::{BadUserInfo, BasicAuth};
pub use client::{
    ClientTls, Refusal, RegistryClient, RegistryClientError, TlsFileError,
    DEFAULT_UNKNOWN_IDS_REMEMBERED, DEFAULT_UNKNOWN_SCHEMA_LOOKUPS_PER_SEC,
    DEFAULT_UNKNOWN_SCHEMA_TTL,
};
pub use http::{serve, serve_with, MetricsPage, ServerSettings, ServerTls, ServerTlsError};
pub use schema_text::{InvalidSchema, NormalizedSchema};
pub use subject_names::{subject_for_record, RETURN_RECORD, SALE_RECORD};

/// Media type of every request and response body of the API.
pub const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";
