//! The sale event and its parts. A `SaleEvent` is what arrived, typed but not
//! yet trusted; a `Sale` is a `SaleEvent` that passed every rule of
//! [`crate::validate`], and can only be obtained from it.

use crate::enums::{Category, PaymentMethod, Region, Segment, ShipMode};
use crate::money::{Discount, Money, Quantity};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Customer {
    pub customer_id: String,
    pub customer_name: String,
    pub segment: Segment,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Location {
    pub country: String,
    pub state: String,
    pub city: String,
    pub postal_code: String,
    pub region: Region,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SaleEvent {
    pub event_id: Uuid,
    pub event_time: DateTime<Utc>,
    pub order_id: String,
    pub order_date: NaiveDate,
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
    pub payment_method: PaymentMethod,
    /// Since schema v2; `None` for events written with v1.
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
