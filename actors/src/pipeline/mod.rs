//! The ingestion pipeline of `superstore run`, one actor per stage, in the
//! order an event meets them:
//!
//! 1. [`source`]: Kafka consumer, resuming from the offsets staged in PostgreSQL ([`assignment`]);
//! 2. [`decoder`]: Confluent framing, writer schema from the registry, resolution to the reader schema;
//! 3. [`validator`]: the domain rules;
//! 4. [`dedup`]: recent `event_id`s;
//! 5. [`writer`]: batches, committed by the [`staging_store`] in one transaction each.
//!
//! Every consumed record travels as an [`envelope::Envelope`] to the writer,
//! accepted, rejected or duplicate, so each batch accounts for every offset
//! it commits. Mailboxes are bounded; the source pauses when the writer falls
//! behind ([`ledger`]).

pub mod assignment;
pub mod decoder;
pub mod dedup;
pub mod envelope;
pub mod ledger;
pub mod source;
pub mod staging_columns;
pub mod staging_store;
pub mod validator;
pub mod writer;
