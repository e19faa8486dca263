//! The guard that keeps the reader schema and staging in step: `run`
//! refuses to start when the schema it reads with has fields that
//! `staging.sales_events` has no columns for, instead of failing on the
//! first batch (or, worse, dropping the new fields).

use super::sql;
use apache_avro::schema::{RecordSchema, Schema};
use diesel::pg::PgConnection;
use diesel::QueryResult;

/// The staging column each field of the sale record lands in: nested
/// records (customer, location, product) are flattened to their fields.
pub fn columns_for(reader: &Schema) -> Vec<String> {
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
pub fn missing_columns(reader: &Schema, existing: &[String]) -> Vec<String> {
    columns_for(reader).into_iter().filter(|c| !existing.contains(c)).collect()
}

/// The columns `reader` needs that this database's staging.sales_events lacks.
pub fn missing_in_database(conn: &mut PgConnection, reader: &Schema) -> QueryResult<Vec<String>> {
    Ok(missing_columns(reader, &sql::live_sales_events_columns(conn)?))
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
    fn the_v2_fields_need_their_own_columns() {
        let v1_columns = columns_for(schema_v1());
        assert_eq!(missing_columns(schema_latest(), &v1_columns), ["payment_method", "loyalty_id"]);
        assert!(missing_columns(schema_v1(), &v1_columns).is_empty());
    }
}
