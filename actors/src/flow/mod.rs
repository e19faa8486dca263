//! The bottom layer: the types the stages hand each other, and nothing
//! that does work. Every other module of the pipeline may use these; these
//! use none of them, so the arrows between the layers above point one way.
//!
//! - [`envelope`]: one consumed record on its way to staging, with its
//!   [`envelope::Verdict`] (accepted, rejected or duplicate);
//! - [`quarantine`]: why a record was rejected, as the reason codes the
//!   quarantine table, the metrics and the dead-letter topic share;
//! - [`headers_json`]: a record's headers as staging keeps them;
//! - [`ledger`]: what the source and the writer share (in-flight records,
//!   committed offsets, the run's counters);
//! - [`outcomes`]: what a committed batch, a dead-letter drain and a
//!   stopped source report.

pub mod envelope;
pub mod headers_json;
pub mod ledger;
pub mod outcomes;
pub mod quarantine;
