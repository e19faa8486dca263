//! The order aggregate's state: what each line of one order sold, and what
//! was already returned of it, folded from the order's events in the log.
//! A return is judged against it; nothing else in the domain can judge it,
//! because the rules span events.
//!
//! The invariants it keeps, for each line (an order's product):
//! - a return names a line that was sold (`return_without_sale`);
//! - it is dated on or after the order date (`return_before_order`);
//! - the units returned never exceed the units sold (`return_exceeds_sold`);
//! - the money refunded never exceeds the line's sales (`refund_exceeds_sales`).
//!
//! Pure: the runtime folds it from staging and keeps it in step with each
//! committed batch.

use crate::return_event::{Return, ReturnEvent};
use crate::validation::{RejectReason, Rejection};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// One line of an order: sold, and returned so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineLedger {
    /// Units sold.
    pub sold: i64,
    /// The line's sales, USD.
    pub sales: Decimal,
    /// Units returned so far.
    pub returned: i64,
    /// Money refunded so far, USD.
    pub refunded: Decimal,
}

/// One order's lines, by product id, and its date.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderLedger {
    /// The earliest order date its sales carry.
    pub order_date: Option<NaiveDate>,
    /// Its lines, by product id.
    pub lines: BTreeMap<String, LineLedger>,
}

impl OrderLedger {
    /// Folds a staged sale of the order in: a product sold twice in one
    /// order is one line with both quantities.
    pub fn record_sale(
        &mut self,
        product_id: &str,
        order_date: NaiveDate,
        quantity: i64,
        sales: Decimal,
    ) {
        self.order_date = Some(self.order_date.map_or(order_date, |d| d.min(order_date)));
        let line = self.lines.entry(product_id.to_owned()).or_default();
        line.sold += quantity;
        line.sales += sales;
    }

    /// Folds a staged return of the order in (one already judged, or read
    /// back from staging).
    pub fn record_return(&mut self, product_id: &str, quantity: i64, refund: Decimal) {
        let line = self.lines.entry(product_id.to_owned()).or_default();
        line.returned += quantity;
        line.refunded += refund;
    }

    /// The first invariant `event` would break, in the order of the
    /// module's list.
    pub fn check_return(&self, event: &ReturnEvent) -> Result<(), Rejection> {
        let line = self.lines.get(&event.product_id).filter(|line| line.sold > 0);
        let (Some(line), Some(order_date)) = (line, self.order_date) else {
            return Err(Rejection::new(
                RejectReason::ReturnWithoutSale,
                format!(
                    "order {} has no staged line for product {}",
                    event.order_id, event.product_id
                ),
            ));
        };
        if event.return_date < order_date {
            return Err(Rejection::new(
                RejectReason::ReturnBeforeOrder,
                format!("return_date {} is before the order date {order_date}", event.return_date),
            ));
        }
        let left = line.sold - line.returned;
        if i64::from(event.quantity.0) > left {
            return Err(Rejection::new(
                RejectReason::ReturnExceedsSold,
                format!(
                    "{} units returned, but {left} of the {} sold are left to return",
                    event.quantity.0, line.sold
                ),
            ));
        }
        let refundable = line.sales - line.refunded;
        if event.refund.amount() > refundable {
            return Err(Rejection::new(
                RejectReason::RefundExceedsSales,
                format!(
                    "refund {} is more than the {refundable} left of the line's sales {}",
                    event.refund, line.sales
                ),
            ));
        }
        Ok(())
    }

    /// Judges `candidate` and, if it keeps every invariant, folds it in.
    pub fn accept_return(&mut self, candidate: &Return) -> Result<(), Rejection> {
        self.check_return(candidate)?;
        let refund = candidate.refund.amount();
        self.record_return(&candidate.product_id, i64::from(candidate.quantity.0), refund);
        Ok(())
    }
}
