//! The sale event and its parts. A `SaleEvent` is what arrived, typed but not
//! yet trusted; a `Sale` is a `SaleEvent` that passed every rule of
//! [`crate::validate`], and can only be obtained from it.
//!
//! These structs are the one declaration of a sale's fields in Rust: the Avro
//! mapping, the generator's JSON and the staging rows all derive from their
//! serde form. A field added by a new schema version has a default equal to
//! the schema's (an `Option`, or `#[serde(default)]` with a `Default` that
//! matches), which `SaleEvent::default()` carries; `cargo test` checks it.

use crate::enums::{Category, PaymentMethod, Region, Segment, ShipMode};
use crate::logical_types as logical;
use crate::money::{Discount, Money, Quantity};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Customer {
    pub customer_id: String,
    pub customer_name: String,
    pub segment: Segment,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Location {
    pub country: String,
    pub state: String,
    pub city: String,
    pub postal_code: String,
    pub region: Region,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Product {
    pub product_id: String,
    pub product_name: String,
    pub category: Category,
    pub sub_category: String,
}

/// One line of an order, as carried by one Kafka message.
///
/// Dates are calendar dates in UTC and `event_time` is an instant in UTC:
/// the time zone is part of the contract, not of the machine.
///
/// `SaleEvent::default()` is a blank event (nil id, empty texts, zero
/// amounts) that breaks the rules until it is filled in; the fields added
/// after v1 hold their schema defaults in it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SaleEvent {
    #[serde(with = "logical::uuid_text")]
    pub event_id: Uuid,
    #[serde(with = "logical::timestamp_micros")]
    pub event_time: DateTime<Utc>,
    pub order_id: String,
    #[serde(with = "logical::epoch_days")]
    pub order_date: NaiveDate,
    #[serde(with = "logical::epoch_days")]
    pub ship_date: NaiveDate,
    pub ship_mode: ShipMode,
    pub customer: Customer,
    pub location: Location,
    pub product: Product,
    pub sales: Money,
    pub quantity: Quantity,
    pub discount: Discount,
    pub profit: Money,
    /// Since schema v2; `Unknown` for events written with v1.
    #[serde(default)]
    pub payment_method: PaymentMethod,
    /// Since schema v2; `None` for events written with v1.
    #[serde(default)]
    pub loyalty_id: Option<String>,
}

/// A sale that satisfies every domain rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Sale(SaleEvent);

impl Sale {
    /// Only the validator builds a `Sale`.
    pub(crate) fn new_unchecked(event: SaleEvent) -> Self {
        Sale(event)
    }

    pub fn into_event(self) -> SaleEvent {
        self.0
    }
}

impl std::ops::Deref for Sale {
    type Target = SaleEvent;

    fn deref(&self) -> &SaleEvent {
        &self.0
    }
}
