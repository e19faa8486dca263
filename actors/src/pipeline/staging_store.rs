//! The blocking half of the writer: commits one batch to PostgreSQL in one
//! transaction, on a thread of its own (a `SyncArbiter`), through Diesel.
//!
//! The transaction holds, together:
//! - the accepted rows: binary COPY into a temporary table, then
//!   `INSERT … SELECT … ON CONFLICT (event_id) DO NOTHING`;
//! - the rejected rows, with their raw bytes;
//! - the audit row (`n_in = n_inserted + n_rejected + n_duplicate`);
//! - the new `next_offset` of every partition in the batch.
//!
//! Records below a partition's stored `next_offset` are already committed
//! (a resumed or restarted source re-read them) and are skipped: that check,
//! made under a row lock, is what makes a batch exactly-once even when two
//! incarnations of the pipeline overlap. A row PostgreSQL refuses is isolated
//! by halving the insert under savepoints and quarantined on its own.

use super::envelope::{Envelope, Verdict};
use crate::db::schema::{consumer_offsets, ingest_batches, rejected_events, sales_events_incoming};
use crate::db::PgPool;
use actix::prelude::*;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use superstore_domain::Sale;
use uuid::Uuid;

/// Rejected rows per INSERT statement (bind parameters stay under 65535).
const REJECTED_ROWS_PER_INSERT: usize = 4_000;
pub const REFUSED_BY_DATABASE: &str = "refused_by_database";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no database connection: {0}")]
    Connection(String),
    #[error("the batch transaction failed: {0}")]
    Transaction(#[from] DieselError),
}

#[derive(Debug, Clone, Default)]
pub struct BatchOutcome {
    /// Records of the message that are now settled (committed or already committed).
    pub settled: u64,
    pub n_in: u64,
    pub inserted: u64,
    pub duplicates: u64,
    pub rejected: Vec<(String, u64)>,
    /// The stored next offset of each partition of the batch, after commit.
    pub next_offsets: Vec<(i32, i64)>,
}

#[derive(Message)]
#[rtype(result = "Result<BatchOutcome, StoreError>")]
pub struct CommitBatch(pub Arc<Vec<Envelope>>);

pub struct StagingStore {
    pool: PgPool,
    group_id: String,
    topic: String,
}

impl StagingStore {
    pub fn new(pool: PgPool, group_id: String, topic: String) -> Self {
        StagingStore { pool, group_id, topic }
    }
}

impl Actor for StagingStore {
    type Context = SyncContext<Self>;
}

impl Handler<CommitBatch> for StagingStore {
    type Result = Result<BatchOutcome, StoreError>;

    fn handle(&mut self, CommitBatch(envelopes): CommitBatch, _ctx: &mut SyncContext<Self>) -> Self::Result {
        let mut conn = self.pool.get().map_err(|e| StoreError::Connection(e.to_string()))?;
        let outcome = conn.transaction(|conn| commit(conn, &self.group_id, &self.topic, &envelopes))?;
        Ok(outcome)
    }
}

#[derive(Insertable)]
#[diesel(table_name = sales_events_incoming)]
#[diesel(treat_none_as_default_value = false)]
struct StagedSale {
    event_id: Uuid,
    event_time: DateTime<Utc>,
    order_id: String,
    order_date: NaiveDate,
    ship_date: NaiveDate,
    ship_mode: String,
    customer_id: String,
    customer_name: String,
    segment: String,
    country: String,
    state: String,
    city: String,
    postal_code: String,
    region: String,
    product_id: String,
    product_name: String,
    category: String,
    sub_category: String,
    sales: Decimal,
    quantity: i32,
    discount: Decimal,
    profit: Decimal,
    schema_id: i32,
    kafka_topic: String,
    kafka_partition: i32,
    kafka_offset: i64,
    payment_method: String,
    loyalty_id: Option<String>,
}

impl StagedSale {
    fn new(sale: &Sale, schema_id: i32, topic: &str, envelope: &Envelope) -> Self {
        StagedSale {
            event_id: sale.event_id,
            event_time: sale.event_time,
            order_id: sale.order_id.clone(),
            order_date: sale.order_date,
            ship_date: sale.ship_date,
            ship_mode: sale.ship_mode.symbol().to_owned(),
            customer_id: sale.customer.customer_id.clone(),
            customer_name: sale.customer.customer_name.clone(),
            segment: sale.customer.segment.symbol().to_owned(),
            country: sale.location.country.clone(),
            state: sale.location.state.clone(),
            city: sale.location.city.clone(),
            postal_code: sale.location.postal_code.clone(),
            region: sale.location.region.symbol().to_owned(),
            product_id: sale.product.product_id.clone(),
            product_name: sale.product.product_name.clone(),
            category: sale.product.category.symbol().to_owned(),
            sub_category: sale.product.sub_category.clone(),
            sales: sale.sales.amount(),
            quantity: sale.quantity.0,
            discount: sale.discount.fraction(),
            profit: sale.profit.amount(),
            schema_id,
            kafka_topic: topic.to_owned(),
            kafka_partition: envelope.coordinates.partition,
            kafka_offset: envelope.coordinates.offset,
            payment_method: sale.payment_method.symbol().to_owned(),
            loyalty_id: sale.loyalty_id.clone(),
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = rejected_events)]
struct QuarantinedRecord<'a> {
    topic: &'a str,
    kafka_partition: i32,
    kafka_offset: i64,
    message_key: Option<&'a [u8]>,
    raw_value: Option<&'a [u8]>,
    schema_id: Option<i32>,
    reason: &'a str,
    detail: String,
}

impl<'a> QuarantinedRecord<'a> {
    fn new(topic: &'a str, envelope: &'a Envelope, reason: &'a str, detail: &str, schema_id: Option<i32>) -> Self {
        QuarantinedRecord {
            topic,
            kafka_partition: envelope.coordinates.partition,
            kafka_offset: envelope.coordinates.offset,
            message_key: envelope.key.as_deref(),
            raw_value: envelope.payload.as_deref(),
            schema_id,
            reason,
            // PostgreSQL text cannot hold NUL; the raw bytes keep the truth.
            detail: detail.replace('\0', "\\0"),
        }
    }
}

fn commit(conn: &mut PgConnection, group_id: &str, topic: &str, envelopes: &[Envelope]) -> Result<BatchOutcome, DieselError> {
    let stored: HashMap<i32, i64> = consumer_offsets::table
        .filter(consumer_offsets::group_id.eq(group_id))
        .filter(consumer_offsets::topic.eq(topic))
        .select((consumer_offsets::partition, consumer_offsets::next_offset))
        .for_update()
        .load::<(i32, i64)>(conn)?
        .into_iter()
        .collect();
    let fresh: Vec<&Envelope> = envelopes
        .iter()
        .filter(|e| e.coordinates.offset >= stored.get(&e.coordinates.partition).copied().unwrap_or(0))
        .collect();
    let mut outcome = BatchOutcome { settled: envelopes.len() as u64, ..BatchOutcome::default() };
    if fresh.is_empty() {
        outcome.next_offsets = stored.into_iter().collect();
        return Ok(outcome);
    }

    let mut rows = Vec::new();
    let mut row_envelopes = Vec::new();
    let mut quarantined = Vec::new();
    for envelope in &fresh {
        match &envelope.verdict {
            Verdict::Valid { sale, schema_id } => {
                rows.push(StagedSale::new(sale, *schema_id, topic, envelope));
                row_envelopes.push(*envelope);
            }
            Verdict::Rejected(q) => quarantined.push(QuarantinedRecord::new(topic, envelope, &q.reason, &q.detail, q.schema_id)),
            Verdict::Duplicate => outcome.duplicates += 1,
            Verdict::Raw | Verdict::Decoded { .. } => {
                quarantined.push(QuarantinedRecord::new(topic, envelope, "unprocessed", "reached the writer unprocessed", None))
            }
        }
    }

    diesel::sql_query(
        "create temporary table if not exists sales_events_incoming \
         (like staging.sales_events including defaults) on commit delete rows",
    )
    .execute(conn)?;
    let mut refused = Vec::new();
    let indices: Vec<usize> = (0..rows.len()).collect();
    outcome.inserted = insert_isolating(conn, &rows, &indices, &mut refused)? as u64;
    let refused_messages: Vec<(usize, String)> = refused;
    for (index, message) in &refused_messages {
        let envelope = row_envelopes[*index];
        quarantined.push(QuarantinedRecord::new(topic, envelope, REFUSED_BY_DATABASE, message, Some(rows[*index].schema_id)));
    }
    // Accepted rows the table already had are duplicates older than the dedup window.
    outcome.duplicates += (rows.len() - refused_messages.len()) as u64 - outcome.inserted;

    let mut by_reason: BTreeMap<String, u64> = BTreeMap::new();
    for record in &quarantined {
        *by_reason.entry(record.reason.to_owned()).or_default() += 1;
    }
    for chunk in quarantined.chunks(REJECTED_ROWS_PER_INSERT) {
        diesel::insert_into(rejected_events::table).values(chunk).execute(conn)?;
    }
    outcome.rejected = by_reason.into_iter().collect();
    outcome.n_in = fresh.len() as u64;

    let mut ranges: BTreeMap<i32, (i64, i64)> = BTreeMap::new();
    for envelope in &fresh {
        let c = envelope.coordinates;
        let range = ranges.entry(c.partition).or_insert((c.offset, c.offset));
        range.0 = range.0.min(c.offset);
        range.1 = range.1.max(c.offset);
    }
    let n_rejected: u64 = outcome.rejected.iter().map(|(_, n)| n).sum();
    diesel::insert_into(ingest_batches::table)
        .values((
            ingest_batches::group_id.eq(group_id),
            ingest_batches::topic.eq(topic),
            ingest_batches::offset_ranges.eq(json!(ranges
                .iter()
                .map(|(p, (first, last))| json!({"partition": p, "first_offset": first, "last_offset": last}))
                .collect::<Vec<_>>())),
            ingest_batches::n_in.eq(outcome.n_in as i32),
            ingest_batches::n_inserted.eq(outcome.inserted as i32),
            ingest_batches::n_rejected.eq(n_rejected as i32),
            ingest_batches::n_duplicate.eq(outcome.duplicates as i32),
        ))
        .execute(conn)?;

    for (partition, (_, last)) in &ranges {
        diesel::insert_into(consumer_offsets::table)
            .values((
                consumer_offsets::group_id.eq(group_id),
                consumer_offsets::topic.eq(topic),
                consumer_offsets::partition.eq(partition),
                consumer_offsets::next_offset.eq(last + 1),
            ))
            .on_conflict((consumer_offsets::group_id, consumer_offsets::topic, consumer_offsets::partition))
            .do_update()
            .set((consumer_offsets::next_offset.eq(last + 1), consumer_offsets::updated_at.eq(diesel::dsl::now)))
            .execute(conn)?;
    }
    let mut next: HashMap<i32, i64> = stored;
    for (partition, (_, last)) in ranges {
        next.insert(partition, last + 1);
    }
    outcome.next_offsets = next.into_iter().collect();
    Ok(outcome)
}

/// Inserts `rows[indices]`; a row PostgreSQL refuses is found by halving
/// under savepoints, and reported in `refused` with its index and message.
/// Returns how many rows were inserted (conflicts are not).
fn insert_isolating(
    conn: &mut PgConnection,
    rows: &[StagedSale],
    indices: &[usize],
    refused: &mut Vec<(usize, String)>,
) -> Result<usize, DieselError> {
    if indices.is_empty() {
        return Ok(0);
    }
    let attempt = conn.transaction(|conn| {
        diesel::sql_query("truncate sales_events_incoming").execute(conn)?;
        let subset: Vec<&StagedSale> = indices.iter().map(|&i| &rows[i]).collect();
        diesel::copy_from(sales_events_incoming::table).from_insertable(subset).execute(conn)?;
        diesel::sql_query(
            // Same column order: the temporary table is created LIKE staging.sales_events.
            "insert into staging.sales_events select * from sales_events_incoming on conflict (event_id) do nothing",
        )
        .execute(conn)
    });
    match attempt {
        Ok(inserted) => Ok(inserted),
        Err(err) if is_refusal(&err) && indices.len() == 1 => {
            refused.push((indices[0], err.to_string()));
            Ok(0)
        }
        Err(err) if is_refusal(&err) => {
            let (left, right) = indices.split_at(indices.len() / 2);
            Ok(insert_isolating(conn, rows, left, refused)? + insert_isolating(conn, rows, right, refused)?)
        }
        Err(err) => Err(err),
    }
}

/// An error about the data (PostgreSQL refused a value), as opposed to the
/// connection or the transaction, which a retry of the whole batch may cure.
fn is_refusal(err: &DieselError) -> bool {
    match err {
        DieselError::DatabaseError(kind, _) => !matches!(
            kind,
            DatabaseErrorKind::ClosedConnection
                | DatabaseErrorKind::UnableToSendCommand
                | DatabaseErrorKind::SerializationFailure
                | DatabaseErrorKind::ReadOnlyTransaction
        ),
        _ => false,
    }
}
