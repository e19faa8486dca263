//! The classic "Sample - Superstore" layout: the 21 columns every Superstore
//! analyst knows (`Row ID` … `Profit`), with human labels for values
//! (`Second Class`, `Home Office`), and how one of its lines becomes a
//! [`crate::SaleEvent`]. Readers of files (CSV, Parquet) live in the runtime;
//! they hand each line over as [`Cell`]s in [`COLUMNS`] order, whatever
//! their file's column order, and this module does the rest, without I/O:
//!
//! - the labels map to the domain's enums through their `from_label`;
//! - amounts are exact decimals, up to four places, never rounded (a float
//!   cell is read through its shortest round-trip text, `41.9136`);
//! - a postal code that lost its leading zeros (`5408`, a Vermont ZIP read
//!   as a number by a spreadsheet) is padded back to five digits (`05408`);
//! - the event id is a UUIDv5 of the dataset's name and the `Row ID`
//!   ([`import_event_id`]): the same line always gives the same event, from
//!   a CSV or a Parquet copy alike, so importing twice stages nothing new;
//! - the file has no time of day: `event_time` is the order date at 00:00
//!   UTC, which satisfies "order_date not after event_time's date".

mod cells;
mod mapping;
mod returns_sheet;

pub use cells::Cell;
pub use mapping::{import_event_id, sale_from_classic, ClassicLine};
pub use returns_sheet::{import_return_id, returned, returns_of_order, SoldLine, RETURNS_COLUMNS};

use std::fmt;

/// The columns of the classic layout, in the order of the dataset's header.
pub const COLUMNS: [&str; 21] = [
    "Row ID",
    "Order ID",
    "Order Date",
    "Ship Date",
    "Ship Mode",
    "Customer ID",
    "Customer Name",
    "Segment",
    "Country",
    "City",
    "State",
    "Postal Code",
    "Region",
    "Product ID",
    "Category",
    "Sub-Category",
    "Product Name",
    "Sales",
    "Quantity",
    "Discount",
    "Profit",
];

/// Why a line of a file could not become a sale. The codes are stable: they
/// are written to the rejected-lines report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LineReason {
    /// The line is not a well-formed record (wrong number of fields, bytes
    /// that are not UTF-8).
    MalformedLine,
    /// A cell the layout needs is empty.
    MissingValue,
    /// A number that does not parse, is not whole where it must be, or has
    /// more decimals than the schema carries.
    UnparsableNumber,
    /// A date that is neither `YYYY-MM-DD` nor `M/D/YYYY`.
    UnparsableDate,
    /// A label that the domain's vocabulary does not have.
    UnknownLabel,
    /// A `Row ID` seen earlier in the same file: it would get the same event
    /// id, and be taken for a re-sent copy.
    DuplicateRowId,
    /// The line maps to a sale that breaks a domain rule (the rule's code is
    /// in the detail).
    BreaksDomainRule,
    /// A line of the Returns sheet names an order with no staged sale.
    UnknownOrder,
}

impl LineReason {
    /// The stable code written to the rejected-lines report.
    pub fn code(self) -> &'static str {
        match self {
            LineReason::MalformedLine => "malformed_line",
            LineReason::MissingValue => "missing_value",
            LineReason::UnparsableNumber => "unparsable_number",
            LineReason::UnparsableDate => "unparsable_date",
            LineReason::UnknownLabel => "unknown_label",
            LineReason::DuplicateRowId => "duplicate_row_id",
            LineReason::BreaksDomainRule => "breaks_domain_rule",
            LineReason::UnknownOrder => "unknown_order",
        }
    }
}

impl fmt::Display for LineReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A refused line: the reason, and a sentence naming the column and value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}: {detail}")]
pub struct LineError {
    /// Why, as a stable code.
    pub reason: LineReason,
    /// The column and the value, for the person who fixes the file.
    pub detail: String,
}

impl LineError {
    /// A refusal for `reason`, explained by `detail`.
    pub fn new(reason: LineReason, detail: impl Into<String>) -> Self {
        LineError { reason, detail: detail.into() }
    }
}
