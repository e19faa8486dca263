//! The statements of the staging sink: the event COPY and its slow path,
//! the quarantine rows, the audit row, the event ids dedup trusts, the
//! schema guard's view of the live table and the writer's own session.
//! Diesel's query builder where it can say it, bound parameters where it
//! cannot, never text built from input. The offsets' statements live with
//! the offsets (`crate::offsets::stored_offsets`), the outbox's with the
//! dead-letter topic (`crate::dead_letter::outbox_rows`).

use chrono::{DateTime, Utc};
use diesel::pg::{CopyFormat, PgConnection};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamptz};
use superstore_database::schema::staging::{ingest_batches, rejected_events, sales_events};
use uuid::Uuid;

/// The start of the current transaction: what `now()` gives every row of it.
pub(crate) fn transaction_time(conn: &mut PgConnection) -> QueryResult<DateTime<Utc>> {
    diesel::select(diesel::dsl::sql::<Timestamptz>("now()")).get_result(conn)
}

/// Writes rows into staging.sales_events with one COPY in binary format, laid
/// out in the column order of the Diesel table ([`super::rows::copy_binary`]).
/// Fails on the first conflict.
pub(crate) fn copy_sales_events(conn: &mut PgConnection, copy: &[u8]) -> QueryResult<usize> {
    diesel::copy_from(sales_events::table)
        .from_raw_data(sales_events::table, |sink| {
            sink.write_all(copy).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
        })
        .with_format(CopyFormat::Binary)
        .execute(conn)
}

/// Writes `rows` (a JSON array of [`super::rows::StagedRow::json`]) into
/// staging.sales_events, skipping event ids it already holds; returns how
/// many were inserted. The rows are matched to the table's columns by
/// name, through the function `staging.insert_sales_events`, whose errors
/// carry their SQLSTATE (`super::failure`).
pub(crate) fn insert_sales_events_ignoring_known(
    conn: &mut PgConnection,
    rows: &serde_json::Value,
) -> QueryResult<usize> {
    #[derive(QueryableByName)]
    struct Inserted {
        #[diesel(sql_type = BigInt)]
        inserted: i64,
    }
    let result: Inserted = diesel::sql_query("select staging.insert_sales_events($1) as inserted")
        .bind::<Text, _>(rows.to_string())
        .get_result(conn)?;
    Ok(usize::try_from(result.inserted).unwrap_or_default())
}

/// One quarantined record, as staging.rejected_events stores it.
#[derive(Insertable)]
#[diesel(table_name = rejected_events)]
pub(crate) struct RejectedRow<'a> {
    pub(crate) group_id: &'a str,
    pub(crate) topic: &'a str,
    pub(crate) topic_id: &'a str,
    pub(crate) kafka_partition: i32,
    pub(crate) kafka_offset: i64,
    pub(crate) message_key: Option<&'a [u8]>,
    pub(crate) raw_value: Option<&'a [u8]>,
    pub(crate) kafka_timestamp: Option<DateTime<Utc>>,
    pub(crate) kafka_headers: serde_json::Value,
    pub(crate) schema_id: Option<i32>,
    pub(crate) reason: &'static str,
    pub(crate) detail: String,
}

/// Rejected rows per INSERT statement (bind parameters stay under 65535).
const REJECTED_ROWS_PER_INSERT: usize = 4_000;

/// Inserts the rows a group has not quarantined yet (a replay of records
/// it already quarantined inserts nothing); returns the coordinates
/// `(partition, offset)` of the rows inserted.
pub(crate) fn insert_rejected_events(
    conn: &mut PgConnection,
    rows: &[RejectedRow<'_>],
) -> QueryResult<Vec<(i32, i64)>> {
    let mut inserted = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(REJECTED_ROWS_PER_INSERT) {
        let coordinates: Vec<(i32, i64)> = diesel::insert_into(rejected_events::table)
            .values(chunk)
            .on_conflict_do_nothing()
            .returning((rejected_events::kafka_partition, rejected_events::kafka_offset))
            .get_results(conn)?;
        inserted.extend(coordinates);
    }
    Ok(inserted)
}

/// The audit row of one batch.
#[derive(Insertable)]
#[diesel(table_name = ingest_batches)]
pub(crate) struct BatchAudit<'a> {
    pub(crate) group_id: &'a str,
    pub(crate) topic: &'a str,
    pub(crate) offset_ranges: serde_json::Value,
    pub(crate) n_in: i32,
    pub(crate) n_inserted: i32,
    pub(crate) n_rejected: i32,
    pub(crate) n_duplicate: i32,
    /// Returns held by the batch, less those it released.
    pub(crate) n_held: i32,
}

pub(crate) fn insert_ingest_batch(
    conn: &mut PgConnection,
    audit: &BatchAudit<'_>,
) -> QueryResult<()> {
    diesel::insert_into(ingest_batches::table).values(audit).execute(conn)?;
    Ok(())
}

/// The newest `limit` event ids of the event log, newest first.
pub(crate) fn newest_event_ids(conn: &mut PgConnection, limit: usize) -> QueryResult<Vec<Uuid>> {
    sales_events::table
        .select(sales_events::event_id)
        .order((sales_events::ingested_at.desc(), sales_events::kafka_offset.desc()))
        .limit(i64::try_from(limit).unwrap_or(i64::MAX))
        .load(conn)
}

#[derive(QueryableByName)]
struct ColumnName {
    #[diesel(sql_type = Text)]
    column_name: String,
}

/// The columns staging.sales_events has in this database (none if the
/// table is missing), whatever this build's Diesel schema says.
pub(crate) fn live_sales_events_columns(conn: &mut PgConnection) -> QueryResult<Vec<String>> {
    let rows: Vec<ColumnName> = diesel::sql_query(
        "select column_name::text as column_name from information_schema.columns \
         where table_schema = $1 and table_name = $2",
    )
    .bind::<Text, _>("staging")
    .bind::<Text, _>("sales_events")
    .load(conn)?;
    Ok(rows.into_iter().map(|c| c.column_name).collect())
}

#[derive(QueryableByName)]
struct NumericScale {
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Nullable<Integer>)]
    numeric_scale: Option<i32>,
}

/// The scale of each numeric column of staging.sales_events in this database.
pub(crate) fn live_sales_events_scales(conn: &mut PgConnection) -> QueryResult<Vec<(String, u32)>> {
    let rows: Vec<NumericScale> = diesel::sql_query(
        "select column_name::text as column_name, numeric_scale::integer as numeric_scale \
         from information_schema.columns \
         where table_schema = $1 and table_name = $2 and data_type = 'numeric'",
    )
    .bind::<Text, _>("staging")
    .bind::<Text, _>("sales_events")
    .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|c| Some((c.column_name, u32::try_from(c.numeric_scale?).ok()?)))
        .collect())
}

#[derive(QueryableByName)]
struct BackendPid {
    #[diesel(sql_type = Integer)]
    pid: i32,
}

/// The process id of this session's server backend.
pub(crate) fn backend_pid(conn: &mut PgConnection) -> QueryResult<i32> {
    let row: BackendPid = diesel::sql_query("select pg_backend_pid() as pid").get_result(conn)?;
    Ok(row.pid)
}

/// Ends the backend `pid` (its open transaction is rolled back); whether it was there.
pub(crate) fn terminate_backend(conn: &mut PgConnection, pid: i32) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Terminated {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        terminated: bool,
    }
    let row: Terminated = diesel::sql_query("select pg_terminate_backend($1) as terminated")
        .bind::<Integer, _>(pid)
        .get_result(conn)?;
    Ok(row.terminated)
}
