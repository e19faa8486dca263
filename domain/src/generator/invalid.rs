//! Breaking one domain rule at a time, so that tests and demos can exercise
//! the quarantine. Each broken event breaks exactly one rule, so the reason
//! the validator gives is known in advance.

use crate::money::{Discount, Money, Quantity};
use crate::sale::SaleEvent;
use crate::validation::RejectReason;
use chrono::Duration;
use rust_decimal::Decimal;

/// The rules the generator breaks, in turn. An unknown enum symbol cannot be
/// written with a schema that declares the enum, so it is not among them.
pub const BREAKABLE_RULES: &[RejectReason] = &[
    RejectReason::MissingRequiredField,
    RejectReason::QuantityOutOfRange,
    RejectReason::DiscountOutOfRange,
    RejectReason::NonPositiveSales,
    RejectReason::ProfitExceedsSales,
    RejectReason::ShipDateOutOfWindow,
    RejectReason::OrderDateAfterEventTime,
];

/// Turns a valid event into one that breaks `rule` and only `rule`.
pub(crate) fn break_rule(mut event: SaleEvent, rule: RejectReason) -> SaleEvent {
    match rule {
        RejectReason::MissingRequiredField => event.customer.customer_name.clear(),
        RejectReason::QuantityOutOfRange => event.quantity = Quantity(0),
        RejectReason::DiscountOutOfRange => {
            event.discount = Discount::try_new(Decimal::new(95, 2)).expect("0.95 fits decimal(6,4)")
        }
        RejectReason::NonPositiveSales => {
            event.sales = Money::try_new(-event.sales.amount()).expect("negated amount fits");
            event.profit = Money::round(event.sales.amount() - Decimal::ONE);
        }
        RejectReason::ProfitExceedsSales => {
            event.profit = Money::round(event.sales.amount() + Decimal::new(1000, 2))
        }
        RejectReason::ShipDateOutOfWindow => event.ship_date = event.order_date - Duration::days(2),
        RejectReason::OrderDateAfterEventTime => {
            event.order_date = event.event_time.date_naive() + Duration::days(3);
            event.ship_date = event.order_date + Duration::days(1);
        }
        // Expressible, but not among BREAKABLE_RULES: adding it there would
        // change what every seed publishes.
        RejectReason::OrderDateOutOfRange => {
            event.order_date = chrono::NaiveDate::MAX;
            event.ship_date = chrono::NaiveDate::MAX;
        }
        RejectReason::UnknownEnumSymbol | RejectReason::InvalidFieldValue => {
            unreachable!("{rule} cannot be expressed in a well-typed event")
        }
        RejectReason::NonPositiveRefund
        | RejectReason::ReturnDateAfterEventTime
        | RejectReason::ReturnWithoutSale
        | RejectReason::ReturnExceedsSold
        | RejectReason::RefundExceedsSales
        | RejectReason::ReturnBeforeOrder => {
            unreachable!("{rule} is a return's rule, which a sale cannot break")
        }
    }
    event
}
