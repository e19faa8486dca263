//! The rows of `staging.sales_events`, derived rather than declared: a sale
//! is flattened through its serde form (nested records give their fields,
//! each keyed by its name), the writer adds the record's Kafka coordinates,
//! and the columns are laid out in the order of the Diesel table generated
//! from the migrations. No list of fields is kept here: a field added to the
//! domain and to a migration lands in staging by itself, and one added to
//! only one of them fails `cargo test` (`actors/tests/sale_fields.rs`).
//!
//! A row is built as its record reaches the writer, before the batch's
//! transaction has begun ([`super::batch`]): the columns only the
//! transaction knows ([`TransactionMeta`]) are added as the binary COPY is
//! written, from cells built once per transaction. Each column's encoding
//! follows its type in the Diesel table ([`super::binary_fields`]).

use super::binary_fields::ColumnKind;
use super::copy_row_serializer::{CellError, Cells};
use super::StoreError;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::LazyLock;
use superstore_database::schema::staging::sales_events;
use superstore_database::{column_names, column_type_oids};
use superstore_domain::SaleEvent;

/// What the writer knows of a record besides the sale: the columns it adds.
#[derive(Debug, Clone, Serialize)]
pub struct RecordMeta<'a> {
    /// The registry id of the schema the record was written with.
    pub schema_id: i32,
    /// The topic the record was read from.
    pub kafka_topic: &'a str,
    /// Its partition.
    pub kafka_partition: i32,
    /// Its offset in that partition.
    pub kafka_offset: i64,
    /// The Kafka record's own timestamp, if it has one.
    pub kafka_timestamp: Option<DateTime<Utc>>,
    /// The Kafka record's headers, as a JSON array (`crate::flow::headers_json`).
    pub kafka_headers: Value,
}

/// The columns every row of one transaction shares, known once it has begun.
#[derive(Debug, Clone, Serialize)]
pub struct TransactionMeta {
    /// The start of the batch's transaction, as the column's default would give.
    pub ingested_at: DateTime<Utc>,
}

/// The columns of staging.sales_events, in the Diesel table's order.
pub(crate) fn sales_events_columns() -> &'static [&'static str] {
    static COLUMNS: LazyLock<Vec<&'static str>> =
        LazyLock::new(column_names::<sales_events::table>);
    &COLUMNS
}

/// Each column's place in [`sales_events_columns`], and how its values are
/// encoded (None for a type [`ColumnKind`] does not cover).
fn column_of(name: &str) -> Option<(usize, Option<ColumnKind>)> {
    static INDEX: LazyLock<HashMap<&'static str, (usize, Option<ColumnKind>)>> =
        LazyLock::new(|| {
            let kinds = column_type_oids::<sales_events::table>()
                .into_iter()
                .map(|oid| oid.and_then(ColumnKind::from_oid));
            sales_events_columns()
                .iter()
                .zip(kinds)
                .enumerate()
                .map(|(i, (name, kind))| (*name, (i, kind)))
                .collect()
        });
    INDEX.get(name).copied()
}

/// Cells of staging.sales_events: the binary field of each column, placed in
/// the Diesel table's order as they are built (`super::copy_row_serializer`). A
/// record's row holds the columns of its sale and its [`RecordMeta`]; the
/// transaction's holds those of its [`TransactionMeta`].
#[derive(Debug, Clone, PartialEq)]
pub struct StagedRow {
    cells: Cells,
}

impl StagedRow {
    /// The row of one record, without the transaction's columns.
    pub fn new(sale: &SaleEvent, meta: &RecordMeta<'_>) -> Result<Self, StoreError> {
        let mut cells = Cells::with_columns(sales_events_columns().len());
        cells.write(sale, column_of).map_err(layout)?;
        cells.write(meta, column_of).map_err(layout)?;
        Ok(StagedRow { cells })
    }

    /// The cells every row of the transaction shares.
    pub fn shared(transaction: &TransactionMeta) -> Result<Self, StoreError> {
        let mut cells = Cells::with_columns(sales_events_columns().len());
        cells.write(transaction, column_of).map_err(layout)?;
        Ok(StagedRow { cells })
    }

    /// The column names this row has a value for.
    pub fn columns(&self) -> impl Iterator<Item = &str> {
        let known = sales_events_columns().iter().enumerate();
        let known = known.filter(|(i, _)| self.cells.slot(*i).is_some()).map(|(_, name)| *name);
        known.chain(self.cells.others.iter().map(String::as_str))
    }

    /// A whole row as a JSON object keyed by column name (what the insert
    /// function takes).
    pub(crate) fn json(
        sale: &SaleEvent,
        meta: &RecordMeta<'_>,
        transaction: &TransactionMeta,
    ) -> Result<Value, StoreError> {
        let mut row = serde_json::Map::new();
        for part in [to_json(sale)?, to_json(meta)?, to_json(transaction)?] {
            flatten(part, &mut |name, value| {
                row.insert(name, value);
            });
        }
        Ok(Value::Object(row))
    }

    /// Appends the row as a tuple of a binary COPY: the number of fields,
    /// then each column's field (from `shared` where the row has none).
    fn write_copy_tuple(&self, shared: &StagedRow, out: &mut Vec<u8>) -> Result<(), StoreError> {
        let columns = sales_events_columns();
        let count = i16::try_from(columns.len())
            .map_err(|_| StoreError::Layout("more columns than a COPY row holds".into()))?;
        out.extend_from_slice(&count.to_be_bytes());
        for (i, column) in columns.iter().enumerate() {
            let field = self.cells.slot(i).or_else(|| shared.cells.slot(i)).ok_or_else(|| {
                StoreError::Layout(format!("the row has no value for column {column}"))
            })?;
            out.extend_from_slice(field);
        }
        Ok(())
    }
}

/// The signature, flags and header extension that open a binary COPY.
const BINARY_COPY_HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The field count -1 that ends one.
const BINARY_COPY_TRAILER: [u8; 2] = (-1i16).to_be_bytes();

/// The binary COPY of `rows`, laid out like staging.sales_events, with the
/// transaction's columns from `shared`.
pub fn copy_binary<'r>(
    rows: impl IntoIterator<Item = &'r StagedRow>,
    shared: &StagedRow,
) -> Result<Vec<u8>, StoreError> {
    let mut data = BINARY_COPY_HEADER.to_vec();
    for row in rows {
        row.write_copy_tuple(shared, &mut data)?;
    }
    data.extend_from_slice(&BINARY_COPY_TRAILER);
    Ok(data)
}

fn layout(e: CellError) -> StoreError {
    StoreError::Layout(e.to_string())
}

fn to_json(part: &impl Serialize) -> Result<Value, StoreError> {
    serde_json::to_value(part).map_err(|e| StoreError::Layout(e.to_string()))
}

/// Hands each field of `value` to `cell`; nested objects give their fields.
fn flatten(value: Value, cell: &mut impl FnMut(String, Value)) {
    let Value::Object(fields) = value else { return };
    for (name, field) in fields {
        match field {
            Value::Object(_) => flatten(field, cell),
            other => cell(name, other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use superstore_domain::generator::{GeneratorConfig, SaleGenerator};

    fn events(n: u64) -> Vec<SaleEvent> {
        let mut config = GeneratorConfig::new(5, n);
        config.invalid_ratio = 0.0;
        SaleGenerator::new(config).unwrap().map(|generated| generated.event).collect()
    }

    fn meta(offset: i64, headers: Value) -> RecordMeta<'static> {
        RecordMeta {
            schema_id: 7,
            kafka_topic: "t",
            kafka_partition: 1,
            kafka_offset: offset,
            kafka_timestamp: (offset % 2 == 0).then(Utc::now),
            kafka_headers: headers,
        }
    }

    fn transaction() -> TransactionMeta {
        TransactionMeta { ingested_at: Utc::now() }
    }

    /// The binary field a JSON value of each column gives, through the
    /// text a JSON value carries: the reference the cells are held to.
    fn copy_tuple_from_json(json: Value) -> Vec<u8> {
        let Value::Object(json) = json else { panic!("a row is an object") };
        let mut tuple = (sales_events_columns().len() as i16).to_be_bytes().to_vec();
        for column in sales_events_columns() {
            let (_, kind) = column_of(column).unwrap();
            let text = match &json[*column] {
                Value::Null => {
                    super::super::binary_fields::push_null(&mut tuple);
                    continue;
                }
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            super::super::binary_fields::push_field(kind.unwrap(), &text, &mut tuple).unwrap();
        }
        tuple
    }

    #[test]
    fn a_row_and_its_transaction_fill_every_column_of_the_diesel_table_and_no_other() {
        let event = &events(1)[0];
        let row = StagedRow::new(event, &meta(42, Value::Array(vec![]))).unwrap();
        let shared = StagedRow::shared(&transaction()).unwrap();
        let mut have: Vec<&str> = row.columns().chain(shared.columns()).collect();
        let mut want = sales_events_columns().to_vec();
        have.sort_unstable();
        want.sort_unstable();
        assert_eq!(have, want);
    }

    #[test]
    fn every_column_of_staging_has_a_binary_encoding() {
        for column in sales_events_columns() {
            assert!(column_of(column).unwrap().1.is_some(), "{column}");
        }
    }

    #[test]
    fn the_copy_fields_are_what_the_json_of_each_column_copies_as() {
        let mut events = events(500);
        // Text that needs escaping, and a loyalty id or none.
        events[0].customer.customer_name = "tab\there, back\\slash,\nnew line, é".into();
        events[1].loyalty_id = None;
        events[2].loyalty_id = Some("L\r1".into());
        let headers = serde_json::json!([{"key": "trace\tid", "value": "a\\b"}]);
        let transaction = transaction();
        let shared = StagedRow::shared(&transaction).unwrap();
        for (offset, event) in (0..).zip(&events) {
            let headers = if offset % 3 == 0 { headers.clone() } else { Value::Array(vec![]) };
            let meta = meta(offset, headers);
            let row = StagedRow::new(event, &meta).unwrap();
            let copy = copy_binary([&row], &shared).unwrap();
            let tuple = &copy[BINARY_COPY_HEADER.len()..copy.len() - 2];
            let json = StagedRow::json(event, &meta, &transaction).unwrap();
            assert_eq!(tuple, copy_tuple_from_json(json), "event {offset}");
        }
    }

    #[test]
    fn a_binary_copy_has_its_header_a_tuple_per_row_and_its_trailer() {
        let mut event = events(1).remove(0);
        event.loyalty_id = None;
        let row = StagedRow::new(&event, &meta(42, Value::Array(vec![]))).unwrap();
        let shared = StagedRow::shared(&transaction()).unwrap();
        let copy = copy_binary([&row, &row], &shared).unwrap();
        assert!(copy.starts_with(b"PGCOPY\n\xff\r\n\0"));
        assert!(copy.ends_with(&[0xff, 0xff]));
        // Walk the tuples: a field count, then each field's length and bytes.
        let (mut at, mut tuples) = (BINARY_COPY_HEADER.len(), 0);
        let number =
            |at: usize, n: usize| copy[at..at + n].iter().fold(0i64, |v, b| v << 8 | *b as i64);
        while copy[at..at + 2] != BINARY_COPY_TRAILER {
            assert_eq!(number(at, 2) as usize, sales_events_columns().len());
            at += 2;
            for _ in sales_events_columns() {
                let length = number(at, 4) as i32;
                at += 4 + usize::try_from(length).unwrap_or(0);
            }
            tuples += 1;
        }
        assert_eq!((tuples, at + 2), (2, copy.len()), "two rows, then the trailer");
        let refused = copy_binary([&row], &row).unwrap_err().to_string();
        assert!(refused.contains("no value for column ingested_at"), "{refused}");
    }
}
