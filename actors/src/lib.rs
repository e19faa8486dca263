//! # superstore-actors
//!
//! The runtime of the Superstore platform: the `superstore` binary's
//! commands, Kafka I/O, the schema registry (server and client), the local
//! stack, and the database access. The domain model lives in
//! `superstore-domain`; this crate adds every kind of I/O around it.

pub mod cli;
pub mod commands;
pub mod db;
pub mod endpoints;
pub mod failure;
pub mod generate;
pub mod kafka;
pub mod pipeline;
pub mod registry;
pub mod stack;
mod supervision;
pub mod telemetry;
pub mod wire;
