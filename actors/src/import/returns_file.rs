//! The Returns sheet as a publisher source: its lines are read (CSV, the
//! columns `Order ID` and `Returned`, others ignored), the lines of each
//! returned order are read from staging, and each order becomes its
//! returns (`superstore_domain::classic::returns_of_order`). The sheet is
//! small (a few hundred orders), so the returns are built up front: a
//! refused line is known before anything is published, and the source can
//! be read again from any index after a publisher restart.

use super::refusals::RefusedLine;
use super::ImportError;
use crate::publish::{EventSource, SourceError, SourceItem, SourceItems};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;
use superstore_database::schema::staging::sales_events;
use superstore_domain::classic::{
    returned, returns_of_order, LineError, LineReason, SoldLine, RETURNS_COLUMNS,
};
use superstore_domain::ReturnEvent;

/// Orders looked up in staging per query.
const ORDERS_PER_QUERY: usize = 1_000;

/// The returns of a Returns sheet, and the lines it refused.
#[derive(Debug)]
pub struct ReturnsFile {
    returns: Vec<ReturnEvent>,
    refused: Vec<RefusedLine>,
    /// Lines read (the header excluded).
    pub lines: u64,
    /// Distinct orders the sheet returns.
    pub returned_orders: u64,
}

/// What the sheet itself says: its lines, the lines it refused, and each
/// returned order with the first line that names it.
struct Sheet {
    lines: u64,
    refused: Vec<RefusedLine>,
    orders: BTreeMap<String, u64>,
}

impl ReturnsFile {
    /// Reads the sheet at `path` and the lines of its orders from staging.
    pub fn read(path: &Path, conn: &mut PgConnection) -> Result<ReturnsFile, ImportError> {
        let Sheet { lines, mut refused, orders } = read_sheet(path)?;
        let names: Vec<String> = orders.keys().cloned().collect();
        let mut sold: BTreeMap<String, Vec<SoldLine>> = BTreeMap::new();
        for chunk in names.chunks(ORDERS_PER_QUERY) {
            let found = sold_lines(conn, chunk).map_err(|e| unreadable(path, &e))?;
            for (order, line) in found {
                sold.entry(order).or_default().push(line);
            }
        }
        let (mut returns, mut returned_orders) = (Vec::new(), 0);
        for (order, number) in orders {
            match returns_of_order(&order, sold.get(&order).map_or(&[][..], Vec::as_slice)) {
                Ok(of_order) => {
                    returned_orders += 1;
                    returns.extend(of_order);
                }
                Err(e) => refused.push(refusal(path, number, e)),
            }
        }
        refused.sort_by_key(|line| line.number);
        Ok(ReturnsFile { returns, refused, lines, returned_orders })
    }

    /// The lines refused, in file order.
    pub fn refused(&self) -> &[RefusedLine] {
        &self.refused
    }

    /// The returns, in order of their order id.
    pub fn returns(&self) -> &[ReturnEvent] {
        &self.returns
    }
}

fn unreadable(path: &Path, e: &dyn std::fmt::Display) -> ImportError {
    ImportError::Open { path: path.to_owned(), source: std::io::Error::other(e.to_string()) }
}

fn refusal(path: &Path, number: u64, e: LineError) -> RefusedLine {
    RefusedLine { file: path.to_owned(), unit: "line", number, reason: e.reason, detail: e.detail }
}

/// Reads the sheet's lines: `Returned` says whether the order was returned.
fn read_sheet(path: &Path) -> Result<Sheet, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| unreadable(path, &e))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| unreadable(path, &e))?
        .iter()
        .map(|name| name.trim_start_matches('\u{feff}').trim().to_owned())
        .collect();
    let column = |name: &str| header.iter().position(|h| h == name);
    let (Some(order_at), Some(returned_at)) = (column("Order ID"), column("Returned")) else {
        return Err(ImportError::wrong_columns(path, &RETURNS_COLUMNS, &header));
    };
    let mut sheet = Sheet { lines: 0, refused: Vec::new(), orders: BTreeMap::new() };
    for (index, record) in reader.records().enumerate() {
        // The header is line 1.
        let number = index as u64 + 2;
        sheet.lines += 1;
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let malformed = LineError::new(LineReason::MalformedLine, e.to_string());
                sheet.refused.push(refusal(path, number, malformed));
                continue;
            }
        };
        let cell = |at: usize| record.get(at).unwrap_or("").trim();
        let order = cell(order_at);
        match returned(cell(returned_at)) {
            Ok(false) => {}
            Err(e) => sheet.refused.push(refusal(path, number, e)),
            Ok(true) if order.is_empty() => {
                let empty =
                    LineError::new(LineReason::MissingValue, "column \"Order ID\" is empty");
                sheet.refused.push(refusal(path, number, empty));
            }
            Ok(true) => {
                sheet.orders.entry(order.to_owned()).or_insert(number);
            }
        }
    }
    Ok(sheet)
}

/// The staged sale lines of `orders`.
fn sold_lines(conn: &mut PgConnection, orders: &[String]) -> QueryResult<Vec<(String, SoldLine)>> {
    let rows: Vec<(String, String, chrono::NaiveDate, i32, rust_decimal::Decimal)> =
        sales_events::table
            .filter(sales_events::order_id.eq_any(orders))
            .select((
                sales_events::order_id,
                sales_events::product_id,
                sales_events::ship_date,
                sales_events::quantity,
                sales_events::sales,
            ))
            .order((sales_events::order_id, sales_events::product_id))
            .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(order, product_id, ship_date, quantity, sales)| {
            (order, SoldLine { product_id, ship_date, quantity, sales })
        })
        .collect())
}

impl EventSource for ReturnsFile {
    fn len_hint(&self) -> Option<u64> {
        Some(self.returns.len() as u64)
    }

    fn items(&self, from: u64) -> Result<SourceItems<'_>, SourceError> {
        let from = usize::try_from(from).unwrap_or(usize::MAX);
        Ok(Box::new(
            self.returns
                .iter()
                .skip(from)
                .map(|event| Ok(SourceItem::Return(Box::new(event.clone())))),
        ))
    }
}
