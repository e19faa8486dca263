//! The guard that keeps the reader schema and staging in step: `run`
//! refuses to start when the schema it reads with has fields that
//! `staging.sales_events` has no columns for, instead of failing on the
//! first batch (or, worse, dropping the new fields), and when a decimal
//! column has fewer decimals than the schema's field (PostgreSQL would round
//! `41.9136` into `numeric(12,2)` without a word).

use super::sql;
use apache_avro::schema::{RecordSchema, Schema};
use diesel::pg::PgConnection;
use diesel::QueryResult;

/// The staging column each field of the sale record lands in: nested
/// records (customer, location, product) are flattened to their fields.
pub(crate) fn columns_for(reader: &Schema) -> Vec<String> {
    let Schema::Record(RecordSchema { fields, .. }) = reader else { return Vec::new() };
    fields
        .iter()
        .flat_map(|field| match &field.schema {
            Schema::Record(RecordSchema { fields: nested, .. }) => {
                nested.iter().map(|f| f.name.clone()).collect()
            }
            _ => vec![field.name.clone()],
        })
        .collect()
}

/// The columns `reader` needs that `existing` lacks, in schema order.
pub(crate) fn missing_columns(reader: &Schema, existing: &[String]) -> Vec<String> {
    columns_for(reader).into_iter().filter(|c| !existing.contains(c)).collect()
}

/// The columns `reader` needs that this database's staging.sales_events lacks.
pub fn missing_in_database(conn: &mut PgConnection, reader: &Schema) -> QueryResult<Vec<String>> {
    Ok(missing_columns(reader, &sql::live_sales_events_columns(conn)?))
}

/// The decimal fields of `reader` (flattened like the columns), with their scales.
pub(crate) fn decimal_scales(reader: &Schema) -> Vec<(String, u32)> {
    let Schema::Record(RecordSchema { fields, .. }) = reader else { return Vec::new() };
    let flat = fields.iter().flat_map(|field| match &field.schema {
        Schema::Record(RecordSchema { fields: nested, .. }) => nested.iter().collect(),
        _ => vec![field],
    });
    flat.filter_map(|field| match &field.schema {
        Schema::Decimal(decimal) => Some((field.name.clone(), decimal.scale as u32)),
        _ => None,
    })
    .collect()
}

/// Each decimal column whose scale in `existing` is below the one `reader`
/// declares, as (column, its scale, the schema's).
pub(crate) fn narrow_decimals(
    reader: &Schema,
    existing: &[(String, u32)],
) -> Vec<(String, u32, u32)> {
    decimal_scales(reader)
        .into_iter()
        .filter_map(|(column, wanted)| {
            let (_, have) = existing.iter().find(|(name, _)| *name == column)?;
            (*have < wanted).then_some((column, *have, wanted))
        })
        .collect()
}

/// The same, against this database's staging.sales_events.
pub fn narrow_in_database(
    conn: &mut PgConnection,
    reader: &Schema,
) -> QueryResult<Vec<(String, u32, u32)>> {
    Ok(narrow_decimals(reader, &sql::live_sales_events_scales(conn)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use superstore_domain::{schema_latest, schema_v1};

    #[test]
    fn nested_records_flatten_to_their_fields() {
        let columns = columns_for(schema_v1());
        assert!(
            columns.contains(&"customer_name".to_owned()) && columns.contains(&"region".to_owned())
        );
        assert!(!columns.contains(&"customer".to_owned()));
    }

    #[test]
    fn a_column_with_fewer_decimals_than_the_schema_is_named() {
        let v2_columns = [("sales".to_owned(), 2), ("discount".to_owned(), 2)];
        assert_eq!(
            narrow_decimals(schema_latest(), &v2_columns),
            [("sales".to_owned(), 2, 4), ("discount".to_owned(), 2, 4)]
        );
        let v3_columns = [("sales".to_owned(), 4), ("profit".to_owned(), 4)];
        assert!(narrow_decimals(schema_latest(), &v3_columns).is_empty());
        assert!(narrow_decimals(schema_v1(), &v2_columns).is_empty(), "v1 has scale 2");
    }

    #[test]
    fn the_v2_fields_need_their_own_columns() {
        let v1_columns = columns_for(schema_v1());
        assert_eq!(missing_columns(schema_latest(), &v1_columns), ["payment_method", "loyalty_id"]);
        assert!(missing_columns(schema_v1(), &v1_columns).is_empty());
    }
}
