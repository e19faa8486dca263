//! # superstore-domain
//!
//! The typed model of a Superstore sale and of a return of one of its lines,
//! and everything that can be said about them without touching the outside
//! world: the validation rules with their reason codes, the order
//! aggregate's rules across events ([`OrderLedger`]), the serde mapping to
//! and from Avro values of `schemas/sale/*.avsc` and `schemas/return/*.avsc`
//! (every released version, compiled in), a seeded generator of realistic
//! sales, and the reading of a line of the classic Superstore dataset
//! ([`classic`]) as a sale.
//!
//! This crate does no I/O. No Kafka, no SQL, no HTTP: other teams read it to
//! learn what a sale is, and the runtime (`superstore-actors`) depends on it,
//! never the other way round.

#![warn(missing_docs)]

mod avro;
pub mod classic;
mod enums;
pub mod generator;
mod logical_types;
mod money;
mod order_ledger;
mod resolution;
mod return_event;
mod return_validation;
mod sale;
mod validation;

pub use avro::{
    reads_directly, return_from_avro, return_schema, return_schema_latest, return_schema_text,
    return_to_datum, sale_from_avro, sale_from_datum, sale_schema, sale_schema_text, sale_to_avro,
    sale_to_datum, same_schema_with_logical_types, schema_latest, schema_v1, write_sale_datum,
    AvroMappingError, LATEST_RETURN_SCHEMA_VERSION, LATEST_SCHEMA_VERSION,
};
pub use enums::{
    label_table, Category, PaymentMethod, Region, ReturnReason, Segment, ShipMode, UnknownLabel,
    UnknownSymbol,
};
pub use money::{Discount, Money, MoneyError, Quantity, DECIMAL_SCALE};
pub use order_ledger::{LineLedger, OrderLedger};
pub use resolution::{resolve_to_reader, ResolutionError};
pub use return_event::{Return, ReturnEvent};
pub use return_validation::{first_broken_return_rule, validate_return};
pub use sale::{Customer, Location, Product, Sale, SaleEvent};
pub use validation::{first_broken_rule, validate, RejectReason, Rejection};
