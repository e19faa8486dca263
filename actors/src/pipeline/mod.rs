//! The ingestion pipeline of `superstore run`, one actor per stage, in the
//! order an event meets them:
//!
//! 1. [`source`]: Kafka consumer, resuming from the offsets staged in PostgreSQL
//!    ([`assignment`]);
//! 2. [`decoder`]: Confluent framing, writer schema from the registry, resolution to the
//!    reader schema;
//! 3. [`validator`]: the domain rules;
//! 4. [`dedup`]: recent `event_id`s;
//! 5. [`writer`]: batches, committed by the staging store (`crate::staging`) in one
//!    transaction each.
//!
//! Every consumed record travels as an [`envelope::Envelope`] to the writer,
//! accepted, rejected (with a [`quarantine::QuarantineReason`]) or duplicate,
//! so each batch accounts for every offset it commits. A record that panics
//! a stage costs that record only ([`panic_guard`]). Mailboxes are bounded;
//! the source pauses when the writer falls behind ([`ledger`]). Every actor
//! runs under the one supervision policy (`crate::supervision`); [`runner`]
//! wires them together and runs them until idle, a signal, or an actor that
//! gives up. Beside the stages, [`lag`] measures how far staging trails
//! Kafka.

pub mod assignment;
pub mod decoder;
pub mod dedup;
pub mod envelope;
pub mod identity_watch;
pub mod lag;
pub mod ledger;
pub mod panic_guard;
pub mod pump;
pub mod quarantine;
pub mod received;
pub mod reset;
pub mod resume;
pub mod runner;
pub mod source;
pub mod validator;
pub mod writer;
