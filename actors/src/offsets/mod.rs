//! The offsets of the pipeline, kept in PostgreSQL (`staging.consumer_offsets`)
//! in the same transaction as the rows: where a run resumes ([`resume`]),
//! how an operator moves them on purpose ([`reset`]), and their SQL
//! ([`stored_offsets`]).

pub mod reset;
pub mod resume;
pub mod stored_offsets;
