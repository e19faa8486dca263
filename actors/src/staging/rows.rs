//! The rows of `staging.sales_events`, derived rather than declared: a sale
//! is flattened through its serde form (nested records give their fields,
//! each keyed by its name), the writer adds the record's Kafka coordinates,
//! and the columns are laid out in the order of the Diesel table generated
//! from the migrations. No list of fields is kept here: a field added to the
//! domain and to a migration lands in staging by itself, and one added to
//! only one of them fails `cargo test` (`actors/tests/sale_fields.rs`).

use super::StoreError;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::LazyLock;
use superstore_database::column_names;
use superstore_database::schema::staging::sales_events;
use superstore_domain::SaleEvent;

/// What the writer knows of a record besides the sale: the columns it adds.
#[derive(Debug, Clone, Serialize)]
pub struct RecordMeta<'a> {
    pub schema_id: i32,
    pub kafka_topic: &'a str,
    pub kafka_partition: i32,
    pub kafka_offset: i64,
    /// The start of the batch's transaction, as the column's default would give.
    pub ingested_at: DateTime<Utc>,
    /// The Kafka record's own timestamp, if it has one.
    pub kafka_timestamp: Option<DateTime<Utc>>,
    /// The Kafka record's headers, as a JSON array (`super::headers`).
    pub kafka_headers: Value,
}

/// The columns of staging.sales_events, in the Diesel table's order.
pub fn sales_events_columns() -> &'static [&'static str] {
    static COLUMNS: LazyLock<Vec<&'static str>> =
        LazyLock::new(column_names::<sales_events::table>);
    &COLUMNS
}

/// Each column's place in [`sales_events_columns`].
fn column_index(name: &str) -> Option<usize> {
    static INDEX: LazyLock<HashMap<&'static str, usize>> = LazyLock::new(|| {
        sales_events_columns().iter().enumerate().map(|(i, name)| (*name, i)).collect()
    });
    INDEX.get(name).copied()
}

/// One row of staging.sales_events: a value per column, in the Diesel
/// table's order (placed once, so that writing the row needs no lookup).
#[derive(Debug, Clone, PartialEq)]
pub struct StagedRow {
    cells: Vec<Option<Value>>,
    /// Fields that are no column (a test names them; COPY leaves them out).
    others: Vec<(String, Value)>,
}

impl StagedRow {
    pub fn new(sale: &SaleEvent, meta: &RecordMeta<'_>) -> Result<Self, StoreError> {
        let mut row = StagedRow { cells: vec![None; sales_events_columns().len()], others: vec![] };
        for part in [to_json(sale)?, to_json(meta)?] {
            flatten(part, &mut |name, value| match column_index(&name) {
                Some(i) => row.cells[i] = Some(value),
                None => row.others.push((name, value)),
            });
        }
        Ok(row)
    }

    /// The column names this row has a value for.
    pub fn columns(&self) -> impl Iterator<Item = &str> {
        let known = sales_events_columns().iter().zip(&self.cells);
        let known = known.filter(|(_, cell)| cell.is_some()).map(|(name, _)| *name);
        known.chain(self.others.iter().map(|(name, _)| name.as_str()))
    }

    /// The row as a JSON object keyed by column name.
    pub fn to_json(&self) -> Value {
        let known = sales_events_columns().iter().zip(&self.cells);
        let known = known.filter_map(|(name, cell)| Some(((*name).to_owned(), cell.clone()?)));
        Value::Object(known.chain(self.others.iter().cloned()).collect())
    }

    /// Appends the row in COPY's text format, one value per column,
    /// tab-separated, NULL as `\N`.
    fn write_copy_line(&self, out: &mut String) -> Result<(), StoreError> {
        for (i, (cell, column)) in self.cells.iter().zip(sales_events_columns()).enumerate() {
            if i > 0 {
                out.push('\t');
            }
            let value = cell.as_ref().ok_or_else(|| {
                StoreError::Layout(format!("the row has no value for column {column}"))
            })?;
            write_copy_value(value, out).map_err(StoreError::Layout)?;
        }
        out.push('\n');
        Ok(())
    }
}

/// The COPY text of `rows`, laid out like staging.sales_events.
pub fn copy_text<'a>(rows: impl IntoIterator<Item = &'a StagedRow>) -> Result<Vec<u8>, StoreError> {
    let mut text = String::new();
    for row in rows {
        row.write_copy_line(&mut text)?;
    }
    Ok(text.into_bytes())
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

/// One value in COPY's text format. Text is escaped; a NUL stays as it is,
/// for PostgreSQL to refuse (the row is then isolated and quarantined).
fn write_copy_value(value: &Value, out: &mut String) -> Result<(), String> {
    match value {
        Value::Null => out.push_str("\\N"),
        Value::Bool(b) => out.push(if *b { 't' } else { 'f' }),
        Value::Number(n) => write!(out, "{n}").expect("writing to a String"),
        // Most text needs no escape: copied whole.
        Value::String(s) if !s.bytes().any(|b| matches!(b, b'\\' | b'\n' | b'\r' | b'\t')) => {
            out.push_str(s)
        }
        Value::String(s) => {
            for c in s.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    other => out.push(other),
                }
            }
        }
        // A jsonb column (the headers): its JSON text, escaped like any text.
        Value::Array(_) => write_copy_value(&Value::String(value.to_string()), out)?,
        Value::Object(_) => return Err(format!("{value} is not a column value")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use superstore_domain::generator::{GeneratorConfig, SaleGenerator};

    fn sample() -> StagedRow {
        let mut config = GeneratorConfig::new(5, 1);
        config.schema_version = 2;
        let event = SaleGenerator::new(config).unwrap().next().unwrap().event;
        let meta = RecordMeta {
            schema_id: 7,
            kafka_topic: "t",
            kafka_partition: 1,
            kafka_offset: 42,
            ingested_at: DateTime::UNIX_EPOCH,
            kafka_timestamp: None,
            kafka_headers: Value::Array(Vec::new()),
        };
        StagedRow::new(&event, &meta).unwrap()
    }

    #[test]
    fn a_row_has_a_value_for_every_column_of_the_diesel_table_and_no_other() {
        let row = sample();
        let mut have: Vec<&str> = row.columns().collect();
        let mut want = sales_events_columns().to_vec();
        have.sort_unstable();
        want.sort_unstable();
        assert_eq!(have, want);
    }

    #[test]
    fn copy_text_escapes_and_writes_null() {
        let mut out = String::new();
        for value in [Value::Null, Value::from("a\tb\\c\nd"), Value::from(12)] {
            write_copy_value(&value, &mut out).unwrap();
            out.push('|');
        }
        assert_eq!(out, "\\N|a\\tb\\\\c\\nd|12|");
        let line = String::from_utf8(copy_text([&sample()]).unwrap()).unwrap();
        assert_eq!(line.matches('\t').count() + 1, sales_events_columns().len());
        assert!(line.ends_with('\n') && line.contains("\t42\t"), "{line}");
    }
}
