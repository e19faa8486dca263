//! The return event: a customer brought back units of one line of an order.
//! A `ReturnEvent` is what arrived, typed but not yet trusted; a `Return` is
//! one that passed the rules a single event can be held to
//! ([`crate::validate_return`]). Whether the line it returns from was sold,
//! and how much of it is left to return, no single event can say: that is
//! the order aggregate's to judge, against the event log.
//!
//! As for the sale, this struct is the one declaration of a return's fields
//! in Rust: the Avro mapping of `schemas/return/vN.avsc` goes through its
//! serde form.

use crate::enums::ReturnReason;
use crate::logical_types as logical;
use crate::money::{Money, Quantity};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Units of one order line brought back, and the money paid back for them.
///
/// The line is named by its order and product: the classic dataset has no
/// line number, and an order lists a product once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ReturnEvent {
    /// The event's identity: a copy sent again carries the same id.
    #[serde(with = "logical::uuid_text")]
    pub event_id: Uuid,
    /// When the return was recorded, to the microsecond.
    #[serde(with = "logical::timestamp_micros")]
    pub event_time: DateTime<Utc>,
    /// The order the returned line belongs to (also the Kafka key).
    pub order_id: String,
    /// The product of the returned line.
    pub product_id: String,
    /// Units returned (the rules: 1 to 1000; the aggregate: at most what is
    /// left of the line to return).
    pub quantity: Quantity,
    /// Money paid back (the rules: above zero; the aggregate: with the
    /// line's earlier refunds, at most the line's sales).
    pub refund: Money,
    /// Why the customer brought it back.
    #[serde(default)]
    pub reason: ReturnReason,
    /// The day of the return (the rules: not after `event_time`'s date; the
    /// aggregate: not before the order date).
    #[serde(with = "logical::epoch_days")]
    pub return_date: NaiveDate,
}

/// A return that satisfies every rule a single event can be held to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Return(ReturnEvent);

impl Return {
    /// Only the validator builds a `Return`.
    pub(crate) fn new_unchecked(event: ReturnEvent) -> Self {
        Return(event)
    }

    /// The event, for a caller that needs to own it.
    pub fn into_event(self) -> ReturnEvent {
        self.0
    }
}

impl std::ops::Deref for Return {
    type Target = ReturnEvent;

    fn deref(&self) -> &ReturnEvent {
        &self.0
    }
}
