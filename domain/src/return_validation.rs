//! The rules a return must satisfy on its own, before the order aggregate
//! judges it against its order ([`crate::OrderLedger`]). The reasons are the
//! sale's family ([`RejectReason`]), so a quarantined return is read, counted
//! and replayed like a quarantined sale.

use crate::return_event::{Return, ReturnEvent};
use crate::validation::{check_quantity, RejectReason, Rejection};
use rust_decimal::Decimal;

/// Applies every rule a single return can be held to, in a fixed order,
/// and reports the first one broken.
pub fn validate_return(event: ReturnEvent) -> Result<Return, Rejection> {
    first_broken_return_rule(&event)?;
    Ok(Return::new_unchecked(event))
}

/// The first rule `event` breaks, in the order of [`validate_return`].
pub fn first_broken_return_rule(event: &ReturnEvent) -> Result<(), Rejection> {
    let required = [("order_id", &event.order_id), ("product_id", &event.product_id)];
    if let Some((field, _)) = required.iter().find(|(_, value)| value.trim().is_empty()) {
        return Err(Rejection::new(
            RejectReason::MissingRequiredField,
            format!("{field} is empty"),
        ));
    }
    check_quantity(event.quantity)?;
    if event.refund.amount() <= Decimal::ZERO {
        return Err(Rejection::new(
            RejectReason::NonPositiveRefund,
            format!("refund {} is not greater than zero", event.refund),
        ));
    }
    let event_date = event.event_time.date_naive();
    if event.return_date > event_date {
        return Err(Rejection::new(
            RejectReason::ReturnDateAfterEventTime,
            format!(
                "return_date {} is after the event's date {} (UTC)",
                event.return_date, event_date
            ),
        ));
    }
    Ok(())
}
