//! # superstore-domain
//!
//! The typed model of a Superstore sale and everything that can be said about
//! it without touching the outside world: the validation rules with their
//! reason codes, the serde mapping to and from Avro values of
//! `schemas/sale/*.avsc` (every released version, compiled in), and a seeded
//! generator of realistic sales.
//!
//! This crate does no I/O. No Kafka, no SQL, no HTTP: other teams read it to
//! learn what a sale is, and the runtime (`superstore-actors`) depends on it,
//! never the other way round.

mod avro;
mod enums;
pub mod generator;
mod money;
mod resolution;
mod sale;
mod validation;

pub use avro::{
    sale_from_avro, sale_schema, sale_schema_text, sale_to_avro, schema_latest, schema_v1,
    AvroMappingError, LATEST_SCHEMA_VERSION,
};
pub use enums::{Category, PaymentMethod, Region, Segment, ShipMode, UnknownSymbol};
pub use money::{Discount, Money, MoneyError, Quantity};
pub use resolution::resolve_to_reader;
pub use sale::{Customer, Location, Product, Sale, SaleEvent};
pub use validation::{validate, RejectReason, Rejection};
