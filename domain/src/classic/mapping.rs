//! A line of the classic layout to a [`SaleEvent`]: pure, and the same for
//! every file format. The sale also passes the domain rules here, so a file
//! line that the pipeline would quarantine is refused at import time, with
//! its line number, instead.

use super::{Cell, LineError, LineReason, COLUMNS};
use crate::enums::{Category, PaymentMethod, Region, Segment, ShipMode, UnknownLabel};
use crate::money::{Discount, Money, Quantity, DECIMAL_SCALE};
use crate::sale::{Customer, Location, Product, SaleEvent};
use crate::validation::first_broken_rule;
use uuid::Uuid;

/// The namespace of imported event ids. Never change it: the ids of every
/// line already imported derive from it.
const IMPORT_NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_2b7e_53a4_4d0e_9c1f_5e8a_2d47_b913);

/// The event id of line `row_id` of dataset `dataset`: a UUIDv5, so the
/// same line of the same dataset always has the same id, in any format.
pub fn import_event_id(dataset: &str, row_id: i64) -> Uuid {
    Uuid::new_v5(&IMPORT_NAMESPACE, format!("{dataset}\u{1f}{row_id}").as_bytes())
}

/// One line of a file, its cells in [`COLUMNS`] order.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassicLine<'a> {
    /// One cell per column of [`COLUMNS`], at the same position.
    pub cells: [Cell<'a>; COLUMNS.len()],
}

/// Positions in [`COLUMNS`].
const ROW_ID: usize = 0;
const ORDER_ID: usize = 1;
const ORDER_DATE: usize = 2;
const SHIP_DATE: usize = 3;
const SHIP_MODE: usize = 4;
const CUSTOMER_ID: usize = 5;
const CUSTOMER_NAME: usize = 6;
const SEGMENT: usize = 7;
const COUNTRY: usize = 8;
const CITY: usize = 9;
const STATE: usize = 10;
const POSTAL_CODE: usize = 11;
const REGION: usize = 12;
const PRODUCT_ID: usize = 13;
const CATEGORY: usize = 14;
const SUB_CATEGORY: usize = 15;
const PRODUCT_NAME: usize = 16;
const SALES: usize = 17;
const QUANTITY: usize = 18;
const DISCOUNT: usize = 19;
const PROFIT: usize = 20;

impl ClassicLine<'_> {
    fn text(&self, at: usize) -> Result<String, LineError> {
        self.cells[at].text(COLUMNS[at])
    }

    fn label<E>(
        &self,
        at: usize,
        from_label: fn(&str) -> Result<E, UnknownLabel>,
    ) -> Result<E, LineError> {
        let label = self.text(at)?;
        if label.is_empty() {
            return Err(LineError::new(
                LineReason::MissingValue,
                format!("{} is empty", COLUMNS[at]),
            ));
        }
        from_label(&label)
            .map_err(|e| LineError::new(LineReason::UnknownLabel, format!("{}: {e}", COLUMNS[at])))
    }

    fn money(&self, at: usize) -> Result<Money, LineError> {
        let value = self.cells[at].decimal(COLUMNS[at], DECIMAL_SCALE)?;
        Money::try_new(value).map_err(|e| {
            LineError::new(LineReason::UnparsableNumber, format!("{}: {e}", COLUMNS[at]))
        })
    }

    /// The `Row ID`, which identifies the line within its dataset.
    pub fn row_id(&self) -> Result<i64, LineError> {
        self.cells[ROW_ID].whole(COLUMNS[ROW_ID])
    }
}

/// The sale a line of dataset `dataset` records, checked against the
/// domain rules. Boxed from the start: an import moves millions of them.
pub fn sale_from_classic(
    line: &ClassicLine<'_>,
    dataset: &str,
) -> Result<Box<SaleEvent>, LineError> {
    let order_date = line.cells[ORDER_DATE].date(COLUMNS[ORDER_DATE])?;
    let quantity = line.cells[QUANTITY].whole(COLUMNS[QUANTITY])?;
    let quantity = i32::try_from(quantity).map_err(|_| {
        LineError::new(LineReason::UnparsableNumber, format!("Quantity {quantity} is too large"))
    })?;
    let discount = line.cells[DISCOUNT].decimal(COLUMNS[DISCOUNT], DECIMAL_SCALE)?;
    let discount = Discount::try_new(discount)
        .map_err(|e| LineError::new(LineReason::UnparsableNumber, format!("Discount: {e}")))?;
    let event = Box::new(SaleEvent {
        event_id: import_event_id(dataset, line.row_id()?),
        event_time: order_date.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc(),
        order_id: line.text(ORDER_ID)?,
        order_date,
        ship_date: line.cells[SHIP_DATE].date(COLUMNS[SHIP_DATE])?,
        ship_mode: line.label(SHIP_MODE, ShipMode::from_label)?,
        customer: Customer {
            customer_id: line.text(CUSTOMER_ID)?,
            customer_name: line.text(CUSTOMER_NAME)?,
            segment: line.label(SEGMENT, Segment::from_label)?,
        },
        location: Location {
            country: line.text(COUNTRY)?,
            state: line.text(STATE)?,
            city: line.text(CITY)?,
            postal_code: line.cells[POSTAL_CODE].postal_code(COLUMNS[POSTAL_CODE])?,
            region: line.label(REGION, Region::from_label)?,
        },
        product: Product {
            product_id: line.text(PRODUCT_ID)?,
            product_name: line.text(PRODUCT_NAME)?,
            category: line.label(CATEGORY, Category::from_label)?,
            sub_category: line.text(SUB_CATEGORY)?,
        },
        sales: line.money(SALES)?,
        quantity: Quantity(quantity),
        discount,
        profit: line.money(PROFIT)?,
        // The classic layout records no payment: the schema's default.
        payment_method: PaymentMethod::Unknown,
        loyalty_id: None,
    });
    first_broken_rule(&event)
        .map_err(|rejection| LineError::new(LineReason::BreaksDomainRule, rejection.to_string()))?;
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    /// Line 1 of the dataset, as its CSV spells it.
    fn first_line() -> [&'static str; 21] {
        [
            "1",
            "CA-2016-152156",
            "2016-11-08",
            "2016-11-11",
            "Second Class",
            "CG-12520",
            "Claire Gute",
            "Consumer",
            "United States",
            "Henderson",
            "Kentucky",
            "42420",
            "South",
            "FUR-BO-10001798",
            "Furniture",
            "Bookcases",
            "Bush Somerset Collection Bookcase",
            "261.96",
            "2",
            "0",
            "41.9136",
        ]
    }

    fn line(texts: &[&'static str; 21]) -> ClassicLine<'static> {
        ClassicLine { cells: texts.map(Cell::Text) }
    }

    #[test]
    fn the_first_line_of_the_dataset_maps_field_by_field() {
        let event = sale_from_classic(&line(&first_line()), "superstore").unwrap();
        assert_eq!(event.event_id, import_event_id("superstore", 1));
        assert_eq!(event.event_time.to_rfc3339(), "2016-11-08T00:00:00+00:00");
        assert_eq!(event.ship_date, NaiveDate::from_ymd_opt(2016, 11, 11).unwrap());
        assert_eq!(event.ship_mode, ShipMode::SecondClass);
        assert_eq!(event.customer.segment, Segment::Consumer);
        assert_eq!(event.location.region, Region::South);
        assert_eq!(event.product.category, Category::Furniture);
        assert_eq!(event.product.sub_category, "Bookcases");
        assert_eq!(event.sales.to_string(), "261.96");
        assert_eq!(event.profit.to_string(), "41.9136");
        assert_eq!(event.quantity, Quantity(2));
    }

    #[test]
    fn typed_cells_give_the_same_event_as_text() {
        let mut typed = line(&first_line());
        typed.cells[ROW_ID] = Cell::Int(1);
        typed.cells[ORDER_DATE] = Cell::Date(NaiveDate::from_ymd_opt(2016, 11, 8).unwrap());
        typed.cells[POSTAL_CODE] = Cell::Int(42420);
        typed.cells[SALES] = Cell::Float(261.96);
        typed.cells[QUANTITY] = Cell::Int(2);
        typed.cells[DISCOUNT] = Cell::Float(0.0);
        typed.cells[PROFIT] = Cell::Float(41.9136);
        assert_eq!(
            sale_from_classic(&typed, "superstore").unwrap(),
            sale_from_classic(&line(&first_line()), "superstore").unwrap()
        );
    }

    #[test]
    fn ids_follow_the_dataset_and_the_row_id() {
        assert_eq!(import_event_id("superstore", 7), import_event_id("superstore", 7));
        assert_ne!(import_event_id("superstore", 7), import_event_id("superstore", 8));
        assert_ne!(import_event_id("superstore", 7), import_event_id("my-export", 7));
        assert_eq!(import_event_id("superstore", 7).get_version_num(), 5);
    }

    #[test]
    fn each_bad_cell_is_refused_with_its_reason_and_column() {
        let cases: [(usize, &'static str, LineReason, &str); 6] = [
            (SHIP_MODE, "Third Class", LineReason::UnknownLabel, "Ship Mode"),
            (SALES, "12.3x", LineReason::UnparsableNumber, "Sales"),
            (PROFIT, "1.23456", LineReason::UnparsableNumber, "more than 4 decimal places"),
            (ORDER_DATE, "2016-02-30", LineReason::UnparsableDate, "Order Date"),
            (ROW_ID, "", LineReason::MissingValue, "Row ID is empty"),
            (QUANTITY, "0", LineReason::BreaksDomainRule, "quantity_out_of_range"),
        ];
        for (at, bad, reason, said) in cases {
            let mut texts = first_line();
            texts[at] = bad;
            let err = sale_from_classic(&line(&texts), "superstore").unwrap_err();
            assert_eq!(err.reason, reason, "{}: {err}", COLUMNS[at]);
            assert!(err.detail.contains(said), "{said} in {}", err.detail);
        }
    }
}
