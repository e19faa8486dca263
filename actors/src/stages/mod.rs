//! The middle stages of the pipeline, one actor each, in the order a record
//! meets them after the intake:
//!
//! 1. [`decoder`]: Confluent framing, the writer schema from the registry,
//!    resolution to the reader schema;
//! 2. [`validator`]: the domain's rules;
//! 3. [`dedup`]: event ids already committed to staging;
//!
//! then the staging writer (`crate::staging::writer`). A record that panics
//! a stage costs that record only ([`panic_guard`]).

pub mod decoder;
pub(crate) mod dedup;
pub(crate) mod panic_guard;
pub(crate) mod validator;
