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

/// Who bought. Its texts are required.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Customer {
    /// The chain's customer id (`CG-12520`).
    pub customer_id: String,
    /// The customer's name.
    pub customer_name: String,
    /// The kind of customer.
    pub segment: Segment,
}

/// Where the order is shipped to. Its texts are required.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Location {
    /// The country's name.
    pub country: String,
    /// The state's name.
    pub state: String,
    /// The city's name.
    pub city: String,
    /// The postal code, as text: leading zeros are part of it.
    pub postal_code: String,
    /// The sales region the place belongs to.
    pub region: Region,
}

/// What was sold. Its texts are required.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Product {
    /// The catalogue's product id (`FUR-BO-10001798`).
    pub product_id: String,
    /// The product's name.
    pub product_name: String,
    /// The top level of the catalogue.
    pub category: Category,
    /// The catalogue's second level (`Bookcases`), free text.
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
    /// The event's identity: a copy sent again carries the same id, which
    /// is how staging recognises it.
    #[serde(with = "logical::uuid_text")]
    pub event_id: Uuid,
    /// When the sale happened, to the microsecond.
    #[serde(with = "logical::timestamp_micros")]
    pub event_time: DateTime<Utc>,
    /// The order the line belongs to.
    pub order_id: String,
    /// The day the order was placed (the rules: not after `event_time`'s date).
    #[serde(with = "logical::epoch_days")]
    pub order_date: NaiveDate,
    /// The day it ships (the rules: `order_date` to 30 days after it).
    #[serde(with = "logical::epoch_days")]
    pub ship_date: NaiveDate,
    /// How it ships.
    pub ship_mode: ShipMode,
    /// Who bought.
    pub customer: Customer,
    /// Where it ships to.
    pub location: Location,
    /// What was sold.
    pub product: Product,
    /// What the line was sold for, discount taken off (the rules: above zero).
    pub sales: Money,
    /// Units sold (the rules: 1 to 1000).
    pub quantity: Quantity,
    /// The fraction taken off the list price (the rules: 0 to 0.80).
    pub discount: Discount,
    /// `sales` less the cost: negative on a loss (the rules: not above `sales`).
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

    /// The event, for a caller that needs to own it.
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
