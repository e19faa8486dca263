//! The Kafka intake of `superstore run`: the first stage of the pipeline.
//!
//! - [`kafka_source`]: the consumer actor, in group `superstore-staging`,
//!   its settings in [`source_settings`];
//! - [`pump`]: its consuming loop, which hands records to the decoder in
//!   chunks and pauses partitions when too much is in flight;
//! - [`received`]: one Kafka record as an [`crate::flow::envelope::Envelope`];
//! - [`assignment`]: resumes each assigned partition from the offsets staged
//!   in PostgreSQL, never from Kafka's;
//! - [`identity_watch`]: halts the run when the topic is deleted and created
//!   again under it.

pub(crate) mod assignment;
pub(crate) mod identity_watch;
pub(crate) mod kafka_source;
pub(crate) mod pump;
pub mod received;
pub(crate) mod source_settings;
