//! Every statement the pipeline sends to PostgreSQL, in one place: Diesel's
//! query builder where it can say it, bound parameters where it cannot,
//! never text built from input.

use chrono::{DateTime, Utc};
use diesel::pg::{CopyFormat, PgConnection};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bytea, Integer, Nullable, Text, Timestamptz};
use std::collections::HashMap;
use superstore_database::schema::staging::{
    consumer_offsets, ingest_batches, rejected_events, sales_events,
};
use superstore_database::schema::warehouse::builds as warehouse_builds;
use uuid::Uuid;

/// The stored next offset of each partition of `topic` for `group_id`.
pub fn stored_offsets(
    conn: &mut PgConnection,
    group_id: &str,
    topic: &str,
) -> QueryResult<HashMap<i32, i64>> {
    let rows: Vec<(i32, i64)> = consumer_offsets::table
        .filter(consumer_offsets::group_id.eq(group_id))
        .filter(consumer_offsets::topic.eq(topic))
        .select((consumer_offsets::partition, consumer_offsets::next_offset))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// Makes sure every partition in `partitions` has a row, before they are
/// locked: a new partition's row is inserted here with offset 0 (and
/// overwritten by the batch before it commits), so that two writers racing
/// on a partition's first batch meet on that row. Without it, both found no
/// row to lock, and both wrote the batch.
pub fn claim_offset_rows(
    conn: &mut PgConnection,
    group_id: &str,
    topic: &str,
    topic_id: &str,
    partitions: &[i32],
) -> QueryResult<()> {
    let rows: Vec<_> = partitions
        .iter()
        .map(|&partition| {
            (
                consumer_offsets::group_id.eq(group_id),
                consumer_offsets::topic.eq(topic),
                consumer_offsets::partition.eq(partition),
                consumer_offsets::next_offset.eq(0i64),
                consumer_offsets::topic_id.eq(topic_id),
            )
        })
        .collect();
    diesel::insert_into(consumer_offsets::table)
        .values(&rows)
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(())
}

/// The stored offsets, with the rows locked until the transaction ends: a
/// second incarnation of the pipeline waits here instead of writing twice.
pub fn lock_stored_offsets(
    conn: &mut PgConnection,
    group_id: &str,
    topic: &str,
) -> QueryResult<HashMap<i32, i64>> {
    let rows: Vec<(i32, i64)> = consumer_offsets::table
        .filter(consumer_offsets::group_id.eq(group_id))
        .filter(consumer_offsets::topic.eq(topic))
        .select((consumer_offsets::partition, consumer_offsets::next_offset))
        .for_update()
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

diesel::define_sql_function! {
    /// PostgreSQL's `greatest` of two offsets.
    fn greatest(a: BigInt, b: BigInt) -> BigInt;
}

/// One partition's offset as staging.consumer_offsets stores it: what the
/// writer's forward-only store and the operator's reset both insert.
#[derive(Insertable)]
#[diesel(table_name = consumer_offsets)]
struct OffsetRow<'a> {
    group_id: &'a str,
    topic: &'a str,
    partition: i32,
    next_offset: i64,
    topic_id: &'a str,
}

/// Stores `next_offset` for one partition of the topic whose Kafka id is
/// `topic_id`. Offsets only move forward: a stale writer cannot move one
/// back (`greatest`); only `superstore offsets reset` can, on purpose.
pub fn store_offset(
    conn: &mut PgConnection,
    group_id: &str,
    topic: &str,
    topic_id: &str,
    partition: i32,
    next_offset: i64,
) -> QueryResult<()> {
    diesel::insert_into(consumer_offsets::table)
        .values(OffsetRow { group_id, topic, partition, next_offset, topic_id })
        .on_conflict((
            consumer_offsets::group_id,
            consumer_offsets::topic,
            consumer_offsets::partition,
        ))
        .do_update()
        .set((
            consumer_offsets::next_offset.eq(greatest(
                consumer_offsets::next_offset,
                diesel::upsert::excluded(consumer_offsets::next_offset),
            )),
            consumer_offsets::topic_id.eq(diesel::upsert::excluded(consumer_offsets::topic_id)),
            consumer_offsets::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    Ok(())
}

/// One stored offset, with the Kafka id of the topic it belongs to (None
/// for rows stored before ids were kept).
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct StoredPosition {
    pub partition: i32,
    pub next_offset: i64,
    pub topic_id: Option<String>,
}

/// Every stored offset of `group_id` on `topic`, by partition.
pub fn stored_positions(
    conn: &mut PgConnection,
    group_id: &str,
    topic: &str,
) -> QueryResult<Vec<StoredPosition>> {
    consumer_offsets::table
        .filter(consumer_offsets::group_id.eq(group_id))
        .filter(consumer_offsets::topic.eq(topic))
        .select((
            consumer_offsets::partition,
            consumer_offsets::next_offset,
            consumer_offsets::topic_id,
        ))
        .order(consumer_offsets::partition)
        .load(conn)
}

/// The same, with the rows locked until the transaction ends (as the
/// writer locks them).
pub fn lock_stored_positions(
    conn: &mut PgConnection,
    group_id: &str,
    topic: &str,
) -> QueryResult<Vec<StoredPosition>> {
    consumer_offsets::table
        .filter(consumer_offsets::group_id.eq(group_id))
        .filter(consumer_offsets::topic.eq(topic))
        .select((
            consumer_offsets::partition,
            consumer_offsets::next_offset,
            consumer_offsets::topic_id,
        ))
        .order(consumer_offsets::partition)
        .for_update()
        .load(conn)
}

/// Records `topic_id` on the rows stored before ids were kept.
pub fn adopt_topic_id(
    conn: &mut PgConnection,
    group_id: &str,
    topic: &str,
    topic_id: &str,
) -> QueryResult<usize> {
    diesel::update(consumer_offsets::table)
        .filter(consumer_offsets::group_id.eq(group_id))
        .filter(consumer_offsets::topic.eq(topic))
        .filter(consumer_offsets::topic_id.is_null())
        .set(consumer_offsets::topic_id.eq(topic_id))
        .execute(conn)
}

/// Sets one partition's offset to `next_offset`, backwards too: the
/// operator's reset, never the writer's path.
pub fn reset_offset(
    conn: &mut PgConnection,
    group_id: &str,
    topic: &str,
    topic_id: &str,
    partition: i32,
    next_offset: i64,
) -> QueryResult<()> {
    diesel::insert_into(consumer_offsets::table)
        .values(OffsetRow { group_id, topic, partition, next_offset, topic_id })
        .on_conflict((
            consumer_offsets::group_id,
            consumer_offsets::topic,
            consumer_offsets::partition,
        ))
        .do_update()
        .set((
            consumer_offsets::next_offset.eq(next_offset),
            consumer_offsets::topic_id.eq(topic_id),
            consumer_offsets::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Forgets the offset of a partition the topic no longer has.
pub fn forget_offset(
    conn: &mut PgConnection,
    group_id: &str,
    topic: &str,
    partition: i32,
) -> QueryResult<()> {
    diesel::delete(consumer_offsets::table)
        .filter(consumer_offsets::group_id.eq(group_id))
        .filter(consumer_offsets::topic.eq(topic))
        .filter(consumer_offsets::partition.eq(partition))
        .execute(conn)?;
    Ok(())
}

/// The start of the current transaction: what `now()` gives every row of it.
pub fn transaction_time(conn: &mut PgConnection) -> QueryResult<DateTime<Utc>> {
    diesel::select(diesel::dsl::sql::<Timestamptz>("now()")).get_result(conn)
}

/// Writes rows into staging.sales_events with one COPY in text format, laid
/// out in the column order of the Diesel table ([`super::rows::copy_text`]).
/// Fails on the first conflict.
pub fn copy_sales_events(conn: &mut PgConnection, copy_text: &[u8]) -> QueryResult<usize> {
    diesel::copy_from(sales_events::table)
        .from_raw_data(sales_events::table, |sink| {
            sink.write_all(copy_text)
                .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
        })
        .with_format(CopyFormat::Text)
        .execute(conn)
}

/// Writes `rows` (a JSON array of [`super::rows::StagedRow::json`]) into
/// staging.sales_events, skipping event ids it already holds; returns how
/// many were inserted. The rows are matched to the table's columns by
/// name, through the function `staging.insert_sales_events`, whose errors
/// carry their SQLSTATE (`super::failure`).
pub fn insert_sales_events_ignoring_known(
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
pub struct RejectedRow<'a> {
    pub group_id: &'a str,
    pub topic: &'a str,
    pub topic_id: &'a str,
    pub kafka_partition: i32,
    pub kafka_offset: i64,
    pub message_key: Option<&'a [u8]>,
    pub raw_value: Option<&'a [u8]>,
    pub kafka_timestamp: Option<DateTime<Utc>>,
    pub kafka_headers: serde_json::Value,
    pub schema_id: Option<i32>,
    pub reason: &'static str,
    pub detail: String,
}

/// Rejected rows per INSERT statement (bind parameters stay under 65535).
const REJECTED_ROWS_PER_INSERT: usize = 4_000;

/// Inserts the rows a group has not quarantined yet (a replay of records
/// it already quarantined inserts nothing); returns the coordinates
/// `(partition, offset)` of the rows inserted.
pub fn insert_rejected_events(
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

/// A quarantined record not yet on the dead-letter topic (the outbox).
#[derive(Debug, Clone, Queryable)]
pub struct PendingDeadLetter {
    pub rejected_id: i64,
    pub topic_id: Option<String>,
    pub kafka_partition: i32,
    pub kafka_offset: i64,
    pub message_key: Option<Vec<u8>>,
    pub raw_value: Option<Vec<u8>>,
    pub kafka_timestamp: Option<DateTime<Utc>>,
    pub kafka_headers: serde_json::Value,
    pub schema_id: Option<i32>,
    pub reason: String,
    pub detail: String,
    pub rejected_at: DateTime<Utc>,
}

diesel::define_sql_function! {
    /// PostgreSQL's `octet_length` of a byte string.
    fn octet_length(bytes: Nullable<Bytea>) -> Nullable<Integer>;
}

/// The oldest records `group_id` quarantined from `topic` that are not yet
/// on the dead-letter topic: at most `limit` of them, and no more than
/// `max_bytes` of keys and values (the first one whatever its size), so
/// that a drain holds a bounded amount of memory however large the records.
pub fn pending_dead_letters(
    conn: &mut PgConnection,
    group_id: &str,
    topic: &str,
    limit: i64,
    max_bytes: u64,
) -> QueryResult<Vec<PendingDeadLetter>> {
    use rejected_events as r;
    let sizes: Vec<(i64, Option<i32>, Option<i32>)> = r::table
        .filter(r::group_id.eq(group_id))
        .filter(r::topic.eq(topic))
        .filter(r::dlq_published_at.is_null())
        .order(r::rejected_id)
        .limit(limit)
        .select((r::rejected_id, octet_length(r::raw_value), octet_length(r::message_key)))
        .load(conn)?;
    let mut ids = Vec::new();
    let mut total = 0u64;
    for (id, value, key) in sizes {
        let size = [value, key].into_iter().flatten().map(|n| n.max(0) as u64).sum::<u64>();
        if !ids.is_empty() && total.saturating_add(size) > max_bytes {
            break;
        }
        total = total.saturating_add(size);
        ids.push(id);
    }
    r::table
        .filter(r::rejected_id.eq_any(&ids))
        .order(r::rejected_id)
        .select((
            r::rejected_id,
            r::topic_id,
            r::kafka_partition,
            r::kafka_offset,
            r::message_key,
            r::raw_value,
            r::kafka_timestamp,
            r::kafka_headers,
            r::schema_id,
            r::reason,
            r::detail,
            r::rejected_at,
        ))
        .load(conn)
}

/// How many records of `group_id` from `topic` wait for the dead-letter topic.
pub fn count_pending_dead_letters(
    conn: &mut PgConnection,
    group_id: &str,
    topic: &str,
) -> QueryResult<i64> {
    rejected_events::table
        .filter(rejected_events::group_id.eq(group_id))
        .filter(rejected_events::topic.eq(topic))
        .filter(rejected_events::dlq_published_at.is_null())
        .count()
        .get_result(conn)
}

/// Marks records as acknowledged by the dead-letter topic.
pub fn mark_dead_letters_published(conn: &mut PgConnection, ids: &[i64]) -> QueryResult<usize> {
    diesel::update(rejected_events::table)
        .filter(rejected_events::rejected_id.eq_any(ids))
        .set(rejected_events::dlq_published_at.eq(diesel::dsl::now))
        .execute(conn)
}

/// The audit row of one batch.
#[derive(Insertable)]
#[diesel(table_name = ingest_batches)]
pub struct BatchAudit<'a> {
    pub group_id: &'a str,
    pub topic: &'a str,
    pub offset_ranges: serde_json::Value,
    pub n_in: i32,
    pub n_inserted: i32,
    pub n_rejected: i32,
    pub n_duplicate: i32,
}

pub fn insert_ingest_batch(conn: &mut PgConnection, audit: &BatchAudit<'_>) -> QueryResult<()> {
    diesel::insert_into(ingest_batches::table).values(audit).execute(conn)?;
    Ok(())
}

/// The newest `limit` event ids of the event log, newest first.
pub fn newest_event_ids(conn: &mut PgConnection, limit: usize) -> QueryResult<Vec<Uuid>> {
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
pub fn live_sales_events_columns(conn: &mut PgConnection) -> QueryResult<Vec<String>> {
    let rows: Vec<ColumnName> = diesel::sql_query(
        "select column_name::text as column_name from information_schema.columns \
         where table_schema = $1 and table_name = $2",
    )
    .bind::<Text, _>("staging")
    .bind::<Text, _>("sales_events")
    .load(conn)?;
    Ok(rows.into_iter().map(|c| c.column_name).collect())
}

/// When the warehouse was last built successfully (the newest row of
/// warehouse.builds, which the Airflow DAG's last task writes); None before
/// the first build.
pub fn last_warehouse_build(conn: &mut PgConnection) -> QueryResult<Option<DateTime<Utc>>> {
    warehouse_builds::table.select(diesel::dsl::max(warehouse_builds::built_at)).first(conn)
}

/// A round trip to the server, for the readiness check.
pub fn ping(conn: &mut PgConnection) -> QueryResult<()> {
    diesel::sql_query("select 1").execute(conn).map(|_| ())
}

#[derive(QueryableByName)]
struct NumericScale {
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Nullable<Integer>)]
    numeric_scale: Option<i32>,
}

/// The scale of each numeric column of staging.sales_events in this database.
pub fn live_sales_events_scales(conn: &mut PgConnection) -> QueryResult<Vec<(String, u32)>> {
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
pub fn backend_pid(conn: &mut PgConnection) -> QueryResult<i32> {
    let row: BackendPid = diesel::sql_query("select pg_backend_pid() as pid").get_result(conn)?;
    Ok(row.pid)
}

/// Ends the backend `pid` (its open transaction is rolled back); whether it was there.
pub fn terminate_backend(conn: &mut PgConnection, pid: i32) -> QueryResult<bool> {
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
