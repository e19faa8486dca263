//! The statements of the order aggregate: the staged lines and returns of
//! the orders a batch's returns name, the return rows, and the held
//! returns. Diesel's query builder throughout; every statement runs inside
//! the batch's transaction.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use rust_decimal::Decimal;
use superstore_database::schema::staging::{held_returns, return_events, sales_events};
use uuid::Uuid;

/// One staged return, as staging.return_events stores it.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = return_events)]
pub(crate) struct ReturnRow {
    pub(crate) event_id: Uuid,
    pub(crate) event_time: DateTime<Utc>,
    pub(crate) order_id: String,
    pub(crate) product_id: String,
    pub(crate) quantity: i32,
    pub(crate) refund: Decimal,
    pub(crate) reason: String,
    pub(crate) return_date: NaiveDate,
    pub(crate) schema_id: i32,
    pub(crate) kafka_topic: String,
    pub(crate) kafka_partition: i32,
    pub(crate) kafka_offset: i64,
    pub(crate) kafka_timestamp: Option<DateTime<Utc>>,
    pub(crate) kafka_headers: serde_json::Value,
    pub(crate) ingested_at: DateTime<Utc>,
}

/// One return waiting for its sale, as staging.held_returns stores it: the
/// record as it came (for the quarantine) and the return as decoded (to
/// stage it).
#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = held_returns)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub(crate) struct HeldReturnRow {
    pub(crate) event_id: Uuid,
    pub(crate) group_id: String,
    pub(crate) topic: String,
    pub(crate) topic_id: Option<String>,
    pub(crate) kafka_partition: i32,
    pub(crate) kafka_offset: i64,
    pub(crate) message_key: Option<Vec<u8>>,
    pub(crate) raw_value: Option<Vec<u8>>,
    pub(crate) kafka_timestamp: Option<DateTime<Utc>>,
    pub(crate) kafka_headers: serde_json::Value,
    pub(crate) schema_id: i32,
    pub(crate) event_time: DateTime<Utc>,
    pub(crate) order_id: String,
    pub(crate) product_id: String,
    pub(crate) quantity: i32,
    pub(crate) refund: Decimal,
    pub(crate) reason: String,
    pub(crate) return_date: NaiveDate,
    pub(crate) held_at: DateTime<Utc>,
}

/// A staged sale line of an order: (order, product, order date, units, sales).
pub(crate) type SoldLine = (String, String, NaiveDate, i32, Decimal);

/// A staged return of an order: (its id, order, product, units, refund).
pub(crate) type ReturnedLine = (Uuid, String, String, i32, Decimal);

/// Has the rest of this transaction find rows through indexes. Without it,
/// PostgreSQL planned the lookups by `order_id = ANY($1)` as sequential scans
/// twice over (`scripts/bench.sh --returns`):
/// - on a table it has no statistics for yet (a new staging, until autovacuum
///   analyzes it), it reckons each of a hundred orders matches half a percent
///   of the rows, and scanned the growing `sales_events` whole at every batch
///   with returns: 50 ms a batch, then 180 ms, within one run of 300,000;
/// - Diesel prepares and caches these statements, and after five runs the
///   server may settle on a generic plan that cannot know how many orders the
///   array holds: on `return_events`, 5 ms of every batch.
///
/// Every statement left in the transaction (the lookups, the inserts, the
/// audit and the offsets) finds its rows by a key, so none needs a scan.
/// `LOCAL`: both settings end with the transaction.
pub(crate) fn find_rows_by_index(conn: &mut PgConnection) -> QueryResult<()> {
    conn.batch_execute(
        "set local enable_seqscan = off; set local plan_cache_mode = force_custom_plan",
    )
}

/// The staged sale lines of `orders`.
pub(crate) fn sold_lines(conn: &mut PgConnection, orders: &[String]) -> QueryResult<Vec<SoldLine>> {
    sales_events::table
        .filter(sales_events::order_id.eq_any(orders))
        .select((
            sales_events::order_id,
            sales_events::product_id,
            sales_events::order_date,
            sales_events::quantity,
            sales_events::sales,
        ))
        .load(conn)
}

/// The staged returns of `orders`.
pub(crate) fn returned_lines(
    conn: &mut PgConnection,
    orders: &[String],
) -> QueryResult<Vec<ReturnedLine>> {
    return_events::table
        .filter(return_events::order_id.eq_any(orders))
        .select((
            return_events::event_id,
            return_events::order_id,
            return_events::product_id,
            return_events::quantity,
            return_events::refund,
        ))
        .load(conn)
}

/// Which of `ids` the group holds already.
pub(crate) fn held_return_ids(
    conn: &mut PgConnection,
    group_id: &str,
    topic: &str,
    ids: &[Uuid],
) -> QueryResult<Vec<Uuid>> {
    held_returns::table
        .filter(held_returns::group_id.eq(group_id))
        .filter(held_returns::topic.eq(topic))
        .filter(held_returns::event_id.eq_any(ids))
        .select(held_returns::event_id)
        .load(conn)
}

/// Inserts `rows`, skipping ids already staged; returns how many were inserted.
pub(crate) fn insert_returns(conn: &mut PgConnection, rows: &[ReturnRow]) -> QueryResult<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    diesel::insert_into(return_events::table).values(rows).on_conflict_do_nothing().execute(conn)
}

/// Holds `rows`.
pub(crate) fn insert_held(conn: &mut PgConnection, rows: &[HeldReturnRow]) -> QueryResult<()> {
    if !rows.is_empty() {
        diesel::insert_into(held_returns::table).values(rows).execute(conn)?;
    }
    Ok(())
}

/// Takes out (deletes and returns) the group's held returns of `orders`,
/// and those held since before `expired_before`, in the order they came.
pub(crate) fn take_held(
    conn: &mut PgConnection,
    group_id: &str,
    topic: &str,
    orders: &[String],
    expired_before: DateTime<Utc>,
) -> QueryResult<Vec<HeldReturnRow>> {
    let mut taken: Vec<HeldReturnRow> = diesel::delete(
        held_returns::table
            .filter(held_returns::group_id.eq(group_id))
            .filter(held_returns::topic.eq(topic))
            .filter(
                held_returns::order_id.eq_any(orders).or(held_returns::held_at.lt(expired_before)),
            ),
    )
    .returning(HeldReturnRow::as_returning())
    .get_results(conn)?;
    taken.sort_by_key(|row| (row.kafka_partition, row.kafka_offset));
    Ok(taken)
}

/// How many returns the group holds.
pub(crate) fn count_held(conn: &mut PgConnection, group_id: &str, topic: &str) -> QueryResult<i64> {
    held_returns::table
        .filter(held_returns::group_id.eq(group_id))
        .filter(held_returns::topic.eq(topic))
        .count()
        .get_result(conn)
}

/// Whether the group holds a return held since before `expired_before`.
pub(crate) fn any_expired(
    conn: &mut PgConnection,
    group_id: &str,
    topic: &str,
    expired_before: DateTime<Utc>,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        held_returns::table
            .filter(held_returns::group_id.eq(group_id))
            .filter(held_returns::topic.eq(topic))
            .filter(held_returns::held_at.lt(expired_before)),
    ))
    .get_result(conn)
}
