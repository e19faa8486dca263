//! The statements of `staging.consumer_offsets`: where each partition of a
//! topic resumes, stored in the same transaction as the rows, and moved
//! back only by an operator's reset.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use std::collections::HashMap;
use superstore_database::schema::staging::consumer_offsets;

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
pub(crate) fn claim_offset_rows(
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
pub(crate) fn lock_stored_offsets(
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
    /// The partition.
    pub partition: i32,
    /// The offset of the first record not yet committed to staging.
    pub next_offset: i64,
    /// The Kafka topic id the offset was stored with.
    pub topic_id: Option<String>,
}

/// Every stored offset of `group_id` on `topic`, by partition.
pub(crate) fn stored_positions(
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
pub(crate) fn lock_stored_positions(
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
pub(crate) fn adopt_topic_id(
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
pub(crate) fn reset_offset(
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
pub(crate) fn forget_offset(
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
