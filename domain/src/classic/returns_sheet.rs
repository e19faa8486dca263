//! The classic workbook's "Returns" sheet: one line per returned order
//! (`Returned` = `Yes`, `Order ID`; other columns, such as a region, are
//! ignored). The sheet names orders, not lines, and carries no date, reason
//! or amount, so an order it names becomes one return per product the
//! order sold, of the whole quantity and the whole sales, dated on the
//! order's ship date (the first day a customer can send it back), reason
//! `UNKNOWN`. The runtime reads the order's lines from staging and hands
//! them here; this module maps them, without I/O.
//!
//! The event id is a UUIDv5 of the order and the product
//! ([`import_return_id`]): importing the sheet again, or from another copy,
//! gives the same returns, which stage nothing new.

use super::{LineError, LineReason};
use crate::enums::ReturnReason;
use crate::money::{Money, Quantity};
use crate::return_event::ReturnEvent;
use chrono::{NaiveDate, NaiveTime};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The columns of the Returns sheet the import reads.
pub const RETURNS_COLUMNS: [&str; 2] = ["Order ID", "Returned"];

/// The namespace of imported returns' ids (not the sales'): a return's id
/// cannot meet a sale's.
const RETURNS_NAMESPACE: Uuid = Uuid::from_u128(0x2b9e_7c41_0d5a_4f3e_8a61_93c7_1e0f_5d24);

/// The event id of the imported return of `product_id` in `order_id`.
pub fn import_return_id(order_id: &str, product_id: &str) -> Uuid {
    Uuid::new_v5(&RETURNS_NAMESPACE, format!("{order_id}\u{1f}{product_id}").as_bytes())
}

/// One staged sale line of a returned order, as the runtime reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoldLine {
    /// The product sold.
    pub product_id: String,
    /// When it was shipped (the return's date).
    pub ship_date: NaiveDate,
    /// Units sold.
    pub quantity: i32,
    /// The line's sales, USD.
    pub sales: Decimal,
}

/// Whether a line of the sheet says its order was returned: `Yes` (any
/// case) returns it, `No` does not, anything else is refused.
pub fn returned(cell: &str) -> Result<bool, LineError> {
    match cell.trim().to_ascii_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        other => Err(LineError::new(
            LineReason::UnknownLabel,
            format!("column \"Returned\": {other:?} is neither Yes nor No"),
        )),
    }
}

/// The returns of order `order_id`, one per product of `lines` (a product
/// on two lines is returned once, with both quantities and sales).
pub fn returns_of_order(order_id: &str, lines: &[SoldLine]) -> Result<Vec<ReturnEvent>, LineError> {
    if lines.is_empty() {
        return Err(LineError::new(
            LineReason::UnknownOrder,
            format!(
                "order {order_id} has no staged sale: import the orders first (superstore \
                 import, then superstore run), then this sheet again"
            ),
        ));
    }
    let mut by_product: BTreeMap<&str, (NaiveDate, i32, Decimal)> = BTreeMap::new();
    for line in lines {
        let entry =
            by_product.entry(&line.product_id).or_insert((line.ship_date, 0, Decimal::ZERO));
        entry.0 = entry.0.max(line.ship_date);
        entry.1 += line.quantity;
        entry.2 += line.sales;
    }
    by_product
        .into_iter()
        .map(|(product_id, (ship_date, quantity, sales))| {
            let refund = Money::try_new(sales).map_err(|e| {
                LineError::new(LineReason::UnparsableNumber, format!("order {order_id}: {e}"))
            })?;
            Ok(ReturnEvent {
                event_id: import_return_id(order_id, product_id),
                event_time: ship_date.and_time(NaiveTime::MIN).and_utc(),
                order_id: order_id.to_owned(),
                product_id: product_id.to_owned(),
                quantity: Quantity(quantity),
                refund,
                reason: ReturnReason::Unknown,
                return_date: ship_date,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{first_broken_return_rule, OrderLedger};

    fn line(product: &str, quantity: i32, sales: &str) -> SoldLine {
        SoldLine {
            product_id: product.into(),
            ship_date: NaiveDate::from_ymd_opt(2016, 11, 11).unwrap(),
            quantity,
            sales: sales.parse().unwrap(),
        }
    }

    #[test]
    fn a_returned_order_returns_every_product_whole_with_stable_ids() {
        let lines = [
            line("FUR-BO-10001798", 2, "261.96"),
            line("FUR-CH-10000454", 3, "731.94"),
            line("FUR-BO-10001798", 1, "130.98"),
        ];
        let returns = returns_of_order("CA-2016-152156", &lines).unwrap();
        assert_eq!(returns.len(), 2);
        let bookcase = &returns[0];
        assert_eq!((bookcase.quantity.0, bookcase.refund.amount()), (3, "392.94".parse().unwrap()));
        assert_eq!(bookcase.event_id, import_return_id("CA-2016-152156", "FUR-BO-10001798"));
        assert_ne!(bookcase.event_id, returns[1].event_id);
        let mut ledger = OrderLedger::default();
        let order_date = NaiveDate::from_ymd_opt(2016, 11, 8).unwrap();
        for l in &lines {
            ledger.record_sale(&l.product_id, order_date, i64::from(l.quantity), l.sales);
        }
        for r in &returns {
            first_broken_return_rule(r).unwrap();
            ledger.check_return(r).unwrap();
        }
    }

    #[test]
    fn an_unknown_order_and_an_odd_cell_are_refused_with_their_reason() {
        let refused = returns_of_order("CA-0000-000000", &[]).unwrap_err();
        assert_eq!(refused.reason, LineReason::UnknownOrder);
        assert!(refused.detail.contains("import the orders first"));
        assert_eq!(returned(" yes "), Ok(true));
        assert_eq!(returned("No"), Ok(false));
        assert_eq!(returned("maybe").unwrap_err().reason, LineReason::UnknownLabel);
    }
}
