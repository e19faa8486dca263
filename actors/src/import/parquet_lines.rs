//! The Parquet reader of the import (the `parquet` crate, through arrow):
//! only the 21 columns of the classic layout are decoded, in batches, and
//! each row becomes a line of typed cells for the domain's mapping. Strings,
//! whole numbers, doubles (read through their shortest round-trip text),
//! exact decimals, dates and timestamps at midnight are understood; a column
//! of any other type is refused before anything is read.

use super::{row_and_sale, ImportError, Line, Lines};
use arrow_array::cast::AsArray;
use arrow_array::temporal_conversions::{as_datetime, date32_to_datetime};
use arrow_array::types::{
    Date32Type, Decimal128Type, Float32Type, Float64Type, Int32Type, Int64Type,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use chrono::NaiveDateTime;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ProjectionMask;
use rust_decimal::Decimal;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use superstore_domain::classic::{Cell, ClassicLine, COLUMNS};

const BATCH_ROWS: usize = 8192;

/// How the cells of one column are read.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Text,
    LargeText,
    TextView,
    Int32,
    Int64,
    Float32,
    Float64,
    Decimal(i8),
    Date32,
    Timestamp(TimeUnit),
}

impl Kind {
    fn of(data_type: &DataType) -> Option<Kind> {
        Some(match data_type {
            DataType::Utf8 => Kind::Text,
            DataType::LargeUtf8 => Kind::LargeText,
            DataType::Utf8View => Kind::TextView,
            DataType::Int32 => Kind::Int32,
            DataType::Int64 => Kind::Int64,
            DataType::Float32 => Kind::Float32,
            DataType::Float64 => Kind::Float64,
            DataType::Decimal128(_, scale) => Kind::Decimal(*scale),
            DataType::Date32 => Kind::Date32,
            DataType::Timestamp(unit, _) => Kind::Timestamp(*unit),
            _ => return None,
        })
    }
}

struct ParquetLines {
    path: PathBuf,
    batches: ParquetRecordBatchReader,
    /// The columns of the current batch, in classic-layout order.
    columns: Vec<(ArrayRef, Kind)>,
    kinds: [Kind; COLUMNS.len()],
    row: usize,
    rows: usize,
    number: u64,
    dataset: String,
}

fn builder(path: &Path) -> Result<ParquetRecordBatchReaderBuilder<File>, ImportError> {
    let file =
        File::open(path).map_err(|source| ImportError::Open { path: path.to_owned(), source })?;
    ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| ImportError::UnreadableParquet {
        path: path.to_owned(),
        detail: e.to_string(),
    })
}

/// The rows of a Parquet file, from its footer.
pub(super) fn count(path: &Path) -> Result<u64, ImportError> {
    let rows = builder(path)?.metadata().file_metadata().num_rows();
    Ok(u64::try_from(rows).unwrap_or(0))
}

/// Opens a Parquet file and checks its columns; its lines.
pub(super) fn open(path: &Path, dataset: &str) -> Result<Lines, ImportError> {
    let builder = builder(path)?;
    let schema = builder.schema().clone();
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    if let Some(wrong) = ImportError::wrong_header(path, &names) {
        return Err(wrong);
    }
    let mut kinds = [Kind::Text; COLUMNS.len()];
    for (at, column) in COLUMNS.iter().enumerate() {
        let field = schema.field_with_name(column).expect("checked by wrong_header");
        kinds[at] = Kind::of(field.data_type()).ok_or_else(|| ImportError::ColumnType {
            path: path.to_owned(),
            column: (*column).to_owned(),
            kind: field.data_type().to_string(),
        })?;
    }
    let indices = COLUMNS.map(|column| names.iter().position(|n| n == column).expect("checked"));
    let mask = ProjectionMask::roots(builder.parquet_schema(), indices);
    let batches =
        builder.with_projection(mask).with_batch_size(BATCH_ROWS).build().map_err(|e| {
            ImportError::UnreadableParquet { path: path.to_owned(), detail: e.to_string() }
        })?;
    let lines = ParquetLines {
        path: path.to_owned(),
        batches,
        columns: Vec::new(),
        kinds,
        row: 0,
        rows: 0,
        number: 0,
        dataset: dataset.to_owned(),
    };
    Ok(Box::new(lines))
}

impl ParquetLines {
    /// Takes the next batch; `false` at the end of the file.
    fn next_batch(&mut self) -> Result<bool, String> {
        let Some(batch) = self.batches.next() else { return Ok(false) };
        let batch: RecordBatch = batch.map_err(|e| format!("{}: {e}", self.path.display()))?;
        self.columns = COLUMNS
            .iter()
            .zip(self.kinds)
            .map(|(name, kind)| {
                let column = batch.column_by_name(name).ok_or_else(|| {
                    format!("{}: a batch lacks the column {name:?}", self.path.display())
                })?;
                Ok((column.clone(), kind))
            })
            .collect::<Result<_, String>>()?;
        self.row = 0;
        self.rows = batch.num_rows();
        Ok(true)
    }
}

/// The cell of `column` at `row`.
fn cell(column: &dyn Array, kind: Kind, row: usize) -> Cell<'_> {
    if column.is_null(row) {
        return Cell::Null;
    }
    let date_or_text = |at: Option<NaiveDateTime>| match at {
        Some(at) if at.time() == chrono::NaiveTime::MIN => Cell::Date(at.date()),
        // Not a calendar date: the mapping refuses it, showing the value.
        _ => Cell::Text("a time of day, not a date"),
    };
    match kind {
        Kind::Text => Cell::Text(column.as_string::<i32>().value(row)),
        Kind::LargeText => Cell::Text(column.as_string::<i64>().value(row)),
        Kind::TextView => Cell::Text(column.as_string_view().value(row)),
        Kind::Int32 => Cell::Int(column.as_primitive::<Int32Type>().value(row).into()),
        Kind::Int64 => Cell::Int(column.as_primitive::<Int64Type>().value(row)),
        Kind::Float64 => Cell::Float(column.as_primitive::<Float64Type>().value(row)),
        Kind::Float32 => {
            // The shortest text of the f32 itself, not of its f64 widening.
            let value = column.as_primitive::<Float32Type>().value(row);
            Decimal::from_str(&value.to_string()).map_or(Cell::Float(value.into()), Cell::Decimal)
        }
        Kind::Decimal(scale) => {
            let unscaled = column.as_primitive::<Decimal128Type>().value(row);
            u32::try_from(scale)
                .ok()
                .and_then(|scale| Decimal::try_from_i128_with_scale(unscaled, scale).ok())
                .map_or(Cell::Text("a decimal out of range"), Cell::Decimal)
        }
        Kind::Date32 => {
            date_or_text(date32_to_datetime(column.as_primitive::<Date32Type>().value(row)))
        }
        Kind::Timestamp(unit) => date_or_text(timestamp(column, unit, row)),
    }
}

fn timestamp(column: &dyn Array, unit: TimeUnit, row: usize) -> Option<NaiveDateTime> {
    match unit {
        TimeUnit::Second => as_datetime::<TimestampSecondType>(
            column.as_primitive::<TimestampSecondType>().value(row),
        ),
        TimeUnit::Millisecond => as_datetime::<TimestampMillisecondType>(
            column.as_primitive::<TimestampMillisecondType>().value(row),
        ),
        TimeUnit::Microsecond => as_datetime::<TimestampMicrosecondType>(
            column.as_primitive::<TimestampMicrosecondType>().value(row),
        ),
        TimeUnit::Nanosecond => as_datetime::<TimestampNanosecondType>(
            column.as_primitive::<TimestampNanosecondType>().value(row),
        ),
    }
}

impl Iterator for ParquetLines {
    type Item = Result<Line, String>;

    fn next(&mut self) -> Option<Self::Item> {
        while self.row >= self.rows {
            match self.next_batch() {
                Ok(true) => {}
                Ok(false) => return None,
                Err(e) => return Some(Err(e)),
            }
        }
        let row = self.row;
        self.row += 1;
        self.number += 1;
        let mut cells = [Cell::Null; COLUMNS.len()];
        for (at, (column, kind)) in self.columns.iter().enumerate() {
            cells[at] = cell(column.as_ref(), *kind, row);
        }
        let outcome = row_and_sale(&ClassicLine { cells }, &self.dataset);
        Some(Ok(Line { number: self.number, outcome }))
    }
}
