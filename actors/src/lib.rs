//! # superstore-actors
//!
//! The actor system of the Superstore platform: the ingestion pipeline of
//! `superstore run` ([`pipeline`], writing through the [`staging`] store),
//! the publisher ([`publish`]) that `superstore generate` ([`generate`]) and
//! `superstore import` ([`import`]) feed, the one [`supervision`] policy
//! they all run under, the [`dead_letter`] topic (its publisher and
//! `superstore replay`), and their Kafka I/O ([`kafka`], [`wire`]). What
//! they do is counted in [`metrics`], and served with health probes by
//! [`observability`]. The domain model lives in `superstore-domain`, the
//! registry client in `superstore-registry`, PostgreSQL access in
//! `superstore-database`.
//!
//! The `superstore` binary (`src/main.rs`, `src/cli/`) is the thin command
//! line over this library and the other crates; it alone knows the local
//! stack.

#![warn(missing_docs)]

pub mod dead_letter;
pub mod flow;
pub mod generated_source;
pub mod import;
pub mod intake;
pub mod kafka;
pub mod metrics;
pub mod observability;
pub mod offsets;
pub mod publish;
pub mod runner;
pub mod stages;
pub mod staging;
pub mod supervision;
pub mod wire;
