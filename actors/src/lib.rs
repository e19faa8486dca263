//! # superstore-actors
//!
//! The actor system of the Superstore platform. Its folders are layers,
//! each using only those below it (`scripts/check_module_layout.py` holds
//! them to it), and read in this order they are the path of one event:
//!
//! 1. [`publish`]: `superstore generate` ([`generated_source`]) and
//!    `superstore import` ([`import`]) publish sale events, Avro with the
//!    Confluent framing ([`wire`]), keyed by `order_id`;
//! 2. [`intake`]: `superstore run`'s Kafka source takes them, resuming from
//!    the offsets staged in PostgreSQL ([`offsets`]), and wraps each record
//!    in an envelope ([`flow`]);
//! 3. [`stages`]: the decoder, the validator and dedup judge each record;
//! 4. [`staging`]: the writer batches the envelopes and the staging store
//!    commits each batch in one transaction: rows, quarantine, audit row and
//!    offsets together;
//! 5. [`dead_letter`]: the quarantined records go on to the dead-letter
//!    topic from an outbox, and `superstore replay` sends them back.
//!
//! [`runner`] wires the pipeline together and runs it; [`supervision`] is
//! the one restart policy of every actor; [`flow`] holds the types the
//! stages hand each other and nothing that works; [`kafka`] is the Kafka
//! plumbing they share. What they do is counted in [`metrics`] and served,
//! with health probes, by [`observability`]. The domain model lives in
//! `superstore-domain`, the registry client in `superstore-registry`,
//! PostgreSQL access in `superstore-database`.
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
