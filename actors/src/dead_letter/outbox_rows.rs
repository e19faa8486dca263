//! The statements of the dead-letter outbox: the quarantined rows of
//! `staging.rejected_events` not yet acknowledged by the dead-letter topic,
//! read in bounded drains and marked once Kafka has them.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Bytea, Nullable};
use superstore_database::schema::staging::rejected_events;

/// A quarantined record not yet on the dead-letter topic (the outbox).
#[derive(Debug, Clone, Queryable)]
pub(crate) struct PendingDeadLetter {
    pub(crate) rejected_id: i64,
    pub(crate) topic_id: Option<String>,
    pub(crate) kafka_partition: i32,
    pub(crate) kafka_offset: i64,
    pub(crate) message_key: Option<Vec<u8>>,
    pub(crate) raw_value: Option<Vec<u8>>,
    pub(crate) kafka_timestamp: Option<DateTime<Utc>>,
    pub(crate) kafka_headers: serde_json::Value,
    pub(crate) schema_id: Option<i32>,
    pub(crate) reason: String,
    pub(crate) detail: String,
    pub(crate) rejected_at: DateTime<Utc>,
}

diesel::define_sql_function! {
    /// PostgreSQL's `octet_length` of a byte string.
    fn octet_length(bytes: Nullable<Bytea>) -> Nullable<Integer>;
}

/// The oldest records `group_id` quarantined from `topic` that are not yet
/// on the dead-letter topic: at most `limit` of them, and no more than
/// `max_bytes` of keys and values (the first one whatever its size), so
/// that a drain holds a bounded amount of memory however large the records.
pub(crate) fn pending_dead_letters(
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
pub(crate) fn count_pending_dead_letters(
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
pub(crate) fn mark_dead_letters_published(
    conn: &mut PgConnection,
    ids: &[i64],
) -> QueryResult<usize> {
    diesel::update(rejected_events::table)
        .filter(rejected_events::rejected_id.eq_any(ids))
        .set(rejected_events::dlq_published_at.eq(diesel::dsl::now))
        .execute(conn)
}
