//! The domain rules a sale must satisfy before it may enter staging (a
//! return's are in [`crate::return_validation`], with the same reasons). Each
//! broken rule has a stable reason code: it is stored with the quarantined
//! event in `staging.rejected_events.reason`, and counted in the metrics, so
//! a code is never renamed once released.

use crate::money::Quantity;
use crate::sale::{Sale, SaleEvent};
use chrono::Duration;
use rust_decimal::Decimal;
use serde::Serialize;
use std::fmt;

/// Why an event was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// A required id or name is empty.
    MissingRequiredField,
    /// An enum carries a symbol the model does not know.
    UnknownEnumSymbol,
    /// A field has a type or a precision the model cannot hold.
    InvalidFieldValue,
    /// `quantity` is outside 1..=1000.
    QuantityOutOfRange,
    /// `discount` is outside 0..=0.80.
    DiscountOutOfRange,
    /// `sales` is zero or negative.
    NonPositiveSales,
    /// `profit` is greater than `sales`.
    ProfitExceedsSales,
    /// `ship_date` is before `order_date` or more than 30 days after it.
    ShipDateOutOfWindow,
    /// `order_date` is after the date of `event_time`.
    OrderDateAfterEventTime,
    /// `order_date` is so close to the end of the calendar (chrono's last
    /// day, 262142-12-31) that its shipping window cannot be computed.
    OrderDateOutOfRange,
    /// A return's `refund` is zero or negative.
    NonPositiveRefund,
    /// A return's `return_date` is after the date of its `event_time`.
    ReturnDateAfterEventTime,
    /// A return names an order line that staging does not hold (or has not
    /// received within the wait for it).
    ReturnWithoutSale,
    /// A return's quantity is more than what is left of its line to return.
    ReturnExceedsSold,
    /// A return's refund, with the line's earlier refunds, is more than the
    /// line's sales.
    RefundExceedsSales,
    /// A return's `return_date` is before its order's `order_date`.
    ReturnBeforeOrder,
}

impl RejectReason {
    /// Every reason a domain rule can give.
    pub const ALL: &'static [RejectReason] = &[
        RejectReason::MissingRequiredField,
        RejectReason::UnknownEnumSymbol,
        RejectReason::InvalidFieldValue,
        RejectReason::QuantityOutOfRange,
        RejectReason::DiscountOutOfRange,
        RejectReason::NonPositiveSales,
        RejectReason::ProfitExceedsSales,
        RejectReason::ShipDateOutOfWindow,
        RejectReason::OrderDateAfterEventTime,
        RejectReason::OrderDateOutOfRange,
        RejectReason::NonPositiveRefund,
        RejectReason::ReturnDateAfterEventTime,
        RejectReason::ReturnWithoutSale,
        RejectReason::ReturnExceedsSold,
        RejectReason::RefundExceedsSales,
        RejectReason::ReturnBeforeOrder,
    ];

    /// The stable code stored in staging.
    pub fn code(self) -> &'static str {
        match self {
            RejectReason::MissingRequiredField => "missing_required_field",
            RejectReason::UnknownEnumSymbol => "unknown_enum_symbol",
            RejectReason::InvalidFieldValue => "invalid_field_value",
            RejectReason::QuantityOutOfRange => "quantity_out_of_range",
            RejectReason::DiscountOutOfRange => "discount_out_of_range",
            RejectReason::NonPositiveSales => "non_positive_sales",
            RejectReason::ProfitExceedsSales => "profit_exceeds_sales",
            RejectReason::ShipDateOutOfWindow => "ship_date_out_of_window",
            RejectReason::OrderDateAfterEventTime => "order_date_after_event_time",
            RejectReason::OrderDateOutOfRange => "order_date_out_of_range",
            RejectReason::NonPositiveRefund => "non_positive_refund",
            RejectReason::ReturnDateAfterEventTime => "return_date_after_event_time",
            RejectReason::ReturnWithoutSale => "return_without_sale",
            RejectReason::ReturnExceedsSold => "return_exceeds_sold",
            RejectReason::RefundExceedsSales => "refund_exceeds_sales",
            RejectReason::ReturnBeforeOrder => "return_before_order",
        }
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A refused event: the rule it broke, and a sentence a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}: {detail}")]
pub struct Rejection {
    /// The rule broken.
    pub reason: RejectReason,
    /// The field and its value, for a person.
    pub detail: String,
}

impl Rejection {
    /// A refusal for `reason`, explained by `detail`.
    pub fn new(reason: RejectReason, detail: impl Into<String>) -> Self {
        Rejection { reason, detail: detail.into() }
    }
}

pub const MAX_QUANTITY: i32 = 1000;
pub const MAX_SHIPPING_DAYS: i64 = 30;

fn max_discount() -> Decimal {
    Decimal::new(80, 2)
}

/// Applies every rule, in a fixed order, and reports the first one broken.
pub fn validate(event: SaleEvent) -> Result<Sale, Rejection> {
    first_broken_rule(&event)?;
    Ok(Sale::new_unchecked(event))
}

/// The first rule `event` breaks, in the same order as [`validate`], without
/// taking the event (for callers that keep it boxed, like the import).
pub fn first_broken_rule(event: &SaleEvent) -> Result<(), Rejection> {
    check_required_fields(event)?;
    check_quantity(event.quantity)?;
    check_discount(event)?;
    check_amounts(event)?;
    check_dates(event)
}

fn check_required_fields(event: &SaleEvent) -> Result<(), Rejection> {
    let required = [
        ("order_id", &event.order_id),
        ("customer.customer_id", &event.customer.customer_id),
        ("customer.customer_name", &event.customer.customer_name),
        ("product.product_id", &event.product.product_id),
        ("product.product_name", &event.product.product_name),
        ("product.sub_category", &event.product.sub_category),
        ("location.country", &event.location.country),
        ("location.state", &event.location.state),
        ("location.city", &event.location.city),
        ("location.postal_code", &event.location.postal_code),
    ];
    match required.iter().find(|(_, value)| value.trim().is_empty()) {
        Some((field, _)) => {
            Err(Rejection::new(RejectReason::MissingRequiredField, format!("{field} is empty")))
        }
        None => Ok(()),
    }
}

pub(crate) fn check_quantity(quantity: Quantity) -> Result<(), Rejection> {
    if (1..=MAX_QUANTITY).contains(&quantity.0) {
        Ok(())
    } else {
        Err(Rejection::new(
            RejectReason::QuantityOutOfRange,
            format!("quantity {} is outside 1..={MAX_QUANTITY}", quantity.0),
        ))
    }
}

fn check_discount(event: &SaleEvent) -> Result<(), Rejection> {
    let discount = event.discount.fraction();
    if discount < Decimal::ZERO || discount > max_discount() {
        return Err(Rejection::new(
            RejectReason::DiscountOutOfRange,
            format!("discount {} is outside 0.00..=0.80", event.discount),
        ));
    }
    Ok(())
}

fn check_amounts(event: &SaleEvent) -> Result<(), Rejection> {
    if event.sales.amount() <= Decimal::ZERO {
        return Err(Rejection::new(
            RejectReason::NonPositiveSales,
            format!("sales {} is not greater than zero", event.sales),
        ));
    }
    if event.profit > event.sales {
        return Err(Rejection::new(
            RejectReason::ProfitExceedsSales,
            format!("profit {} is greater than sales {}", event.profit, event.sales),
        ));
    }
    Ok(())
}

fn check_dates(event: &SaleEvent) -> Result<(), Rejection> {
    // Checked: a date within the window of chrono's last day is valid Avro
    // and a valid date, and adding the window to it must refuse, not panic.
    let Some(latest_ship_date) =
        event.order_date.checked_add_signed(Duration::days(MAX_SHIPPING_DAYS))
    else {
        return Err(Rejection::new(
            RejectReason::OrderDateOutOfRange,
            format!(
                "order_date {} is too close to the end of the calendar to add the \
                 {MAX_SHIPPING_DAYS}-day shipping window",
                event.order_date
            ),
        ));
    };
    if event.ship_date < event.order_date || event.ship_date > latest_ship_date {
        return Err(Rejection::new(
            RejectReason::ShipDateOutOfWindow,
            format!(
                "ship_date {} is not between order_date {} and {}",
                event.ship_date, event.order_date, latest_ship_date
            ),
        ));
    }
    let event_date = event.event_time.date_naive();
    if event.order_date > event_date {
        return Err(Rejection::new(
            RejectReason::OrderDateAfterEventTime,
            format!(
                "order_date {} is after the event's date {} (UTC)",
                event.order_date, event_date
            ),
        ));
    }
    Ok(())
}
