//! The "forgotten field" check: a sale field is declared in four places (a
//! `schemas/sale/vN.avsc`, the domain struct, a migration, dbt's sources)
//! and everything else derives from them. These tests fail, naming the field
//! and the place, when one of the four forgot it, for every released schema
//! version. (The migration is seen through the Diesel schema that CI checks
//! against it, `scripts/schema.sh --check`.) The return's fields are held to
//! the same places: `schemas/return/vN.avsc`, `ReturnEvent`, the columns of
//! `staging.return_events` and `staging.held_returns`, and dbt's sources.

use apache_avro::schema::{RecordSchema, Schema};
use chrono::DateTime;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use superstore_actors::staging::rows::{RecordMeta, StagedRow, TransactionMeta};
use superstore_database::column_names;
use superstore_database::schema::staging::{held_returns, return_events, sales_events};
use superstore_domain::{ReturnEvent, SaleEvent};
use yaml_rust2::YamlLoader;

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `schemas/sale/v*.avsc`, as (file name, parsed schema).
fn released_schemas() -> Vec<(String, Schema)> {
    released("sale")
}

/// Every `schemas/<event>/v*.avsc`, as (file name, parsed schema).
fn released(event: &str) -> Vec<(String, Schema)> {
    let dir = repository().join("schemas").join(event);
    let mut found: Vec<(String, Schema)> = std::fs::read_dir(&dir)
        .expect("the schemas' folder is readable")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "avsc"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("a readable schema");
            let schema = Schema::parse_str(&text)
                .unwrap_or_else(|e| panic!("{} is not valid Avro: {e}", path.display()));
            (path.file_name().unwrap().to_string_lossy().into_owned(), schema)
        })
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(!found.is_empty(), "no schema in {}", dir.display());
    found
}

/// The leaf fields of a record schema, nested records flattened, with their
/// defaults: what becomes one staging column each.
fn schema_fields(schema: &Schema) -> Vec<(String, Option<Value>)> {
    let Schema::Record(RecordSchema { fields, .. }) = schema else {
        panic!("the sale schema is a record")
    };
    fields
        .iter()
        .flat_map(|field| match &field.schema {
            Schema::Record(_) => schema_fields(&field.schema),
            _ => vec![(field.name.clone(), field.default.clone())],
        })
        .collect()
}

/// The leaf fields of the domain's event, nested structs flattened, with
/// their values in a blank event (where later versions' defaults live).
fn domain_fields() -> Vec<(String, Value)> {
    leaf_fields(serde_json::to_value(SaleEvent::default()).unwrap())
}

/// The leaf fields of an event as serde writes it, nested structs flattened.
fn leaf_fields(event: Value) -> Vec<(String, Value)> {
    fn flatten(value: Value, into: &mut Vec<(String, Value)>) {
        let Value::Object(fields) = value else { return };
        for (name, field) in fields {
            match field {
                Value::Object(_) => flatten(field, into),
                other => into.push((name, other)),
            }
        }
    }
    let mut fields = Vec::new();
    flatten(event, &mut fields);
    fields
}

fn staging_columns() -> BTreeSet<&'static str> {
    column_names::<sales_events::table>().into_iter().collect()
}

/// The columns `dbt/models/staging/_sources.yml` declares for sales_events.
fn dbt_source_columns() -> BTreeSet<String> {
    dbt_columns_of("sales_events")
}

/// The columns `dbt/models/staging/_sources.yml` declares for `table`.
fn dbt_columns_of(table: &str) -> BTreeSet<String> {
    let path = repository().join("dbt/models/staging/_sources.yml");
    let text = std::fs::read_to_string(&path).expect("dbt sources are readable");
    let docs = YamlLoader::load_from_str(&text).expect("dbt sources are YAML");
    let sources = docs[0]["sources"].as_vec().expect("a list of sources");
    let tables = sources.iter().flat_map(|s| s["tables"].as_vec().cloned().unwrap_or_default());
    let declared = tables
        .into_iter()
        .find(|t| t["name"].as_str() == Some(table))
        .unwrap_or_else(|| panic!("_sources.yml declares {table}"));
    let columns = declared["columns"].as_vec().cloned().unwrap_or_default();
    columns.iter().filter_map(|c| c["name"].as_str().map(str::to_owned)).collect()
}

#[test]
fn every_field_of_every_released_schema_has_a_staging_column_and_a_domain_field() {
    let columns = staging_columns();
    let domain: BTreeSet<String> = domain_fields().into_iter().map(|(name, _)| name).collect();
    let mut forgotten = Vec::new();
    for (file, schema) in released_schemas() {
        for (field, _) in schema_fields(&schema) {
            if !columns.contains(field.as_str()) {
                forgotten.push(format!(
                    "schemas/sale/{file}: field `{field}` has no column in staging.sales_events \
                     (add a migration, then run scripts/schema.sh)"
                ));
            }
            if !domain.contains(&field) {
                forgotten.push(format!(
                    "schemas/sale/{file}: field `{field}` has no field in the domain's SaleEvent \
                     (domain/src/sale.rs)"
                ));
            }
        }
    }
    assert!(forgotten.is_empty(), "forgotten fields:\n{}", forgotten.join("\n"));
}

#[test]
fn every_domain_field_is_in_the_newest_schema_with_the_same_default() {
    let (file, newest) = released_schemas().pop().expect("a released schema");
    let fields = schema_fields(&newest);
    for (name, blank) in domain_fields() {
        let Some((_, default)) = fields.iter().find(|(field, _)| *field == name) else {
            panic!("SaleEvent field `{name}` is not in schemas/sale/{file}: Avro would drop it");
        };
        if let Some(default) = default {
            assert_eq!(
                &blank, default,
                "SaleEvent::default().{name} must be the default schemas/sale/{file} declares"
            );
        }
    }
}

#[test]
fn a_staged_row_fills_exactly_the_columns_of_staging() {
    let meta = RecordMeta {
        schema_id: 1,
        kafka_topic: "t",
        kafka_partition: 0,
        kafka_offset: 0,
        kafka_timestamp: Some(DateTime::UNIX_EPOCH),
        kafka_headers: serde_json::json!([]),
    };
    let sale = SaleEvent::default();
    let row = StagedRow::new(&sale, &meta).unwrap();
    let transaction = TransactionMeta { ingested_at: DateTime::UNIX_EPOCH };
    let shared = StagedRow::shared(&transaction).unwrap();
    let filled: BTreeSet<&str> = row.columns().chain(shared.columns()).collect();
    let columns = staging_columns();
    let missing: Vec<_> = columns.difference(&filled).collect();
    let extra: Vec<_> = filled.difference(&columns).collect();
    assert!(
        missing.is_empty(),
        "staging columns no domain field or writer column fills: {missing:?}"
    );
    assert!(extra.is_empty(), "values with no staging column: {extra:?}");
}

#[test]
fn every_staging_column_is_declared_in_dbt_sources() {
    let declared = dbt_source_columns();
    let columns = staging_columns();
    let undeclared: Vec<_> = columns.iter().filter(|c| !declared.contains(**c)).collect();
    assert!(
        undeclared.is_empty(),
        "staging.sales_events columns missing from dbt/models/staging/_sources.yml: {undeclared:?}"
    );
    let unknown: Vec<_> = declared.iter().filter(|c| !columns.contains(c.as_str())).collect();
    assert!(unknown.is_empty(), "_sources.yml declares columns staging lacks: {unknown:?}");
}

#[test]
fn every_return_field_has_its_columns_its_domain_field_and_its_dbt_source_column() {
    let staged: BTreeSet<&str> = column_names::<return_events::table>().into_iter().collect();
    let held: BTreeSet<&str> = column_names::<held_returns::table>().into_iter().collect();
    let domain: BTreeSet<String> =
        leaf_fields(serde_json::to_value(ReturnEvent::default()).unwrap())
            .into_iter()
            .map(|(name, _)| name)
            .collect();
    let mut forgotten = Vec::new();
    for (file, schema) in released("return") {
        for (field, _) in schema_fields(&schema) {
            for (table, columns) in [("return_events", &staged), ("held_returns", &held)] {
                if !columns.contains(field.as_str()) {
                    forgotten.push(format!(
                        "schemas/return/{file}: field `{field}` has no column in staging.{table}"
                    ));
                }
            }
            if !domain.contains(&field) {
                forgotten.push(format!(
                    "schemas/return/{file}: field `{field}` has no field in ReturnEvent"
                ));
            }
        }
    }
    let dbt = dbt_columns_of("return_events");
    for column in &staged {
        if !dbt.contains(*column) {
            forgotten.push(format!(
                "staging.return_events.{column} is not declared in dbt/models/staging/_sources.yml"
            ));
        }
    }
    assert!(forgotten.is_empty(), "forgotten fields:\n{}", forgotten.join("\n"));
}
