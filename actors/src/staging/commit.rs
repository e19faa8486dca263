//! One batch, one transaction, one step per table it writes: the accepted
//! sales ([`write_accepted`]), the returns, judged by the order aggregate
//! once the batch's sales are in ([`settle_returns`]), [`write_rejected_events`],
//! [`write_ingest_batch`] and [`write_consumer_offsets`], called in that
//! order by [`commit`]. [`release_expired`] is the same transaction without
//! records: it quarantines the held returns whose bound has passed.

use super::accepted_rows::{Accepted, Quarantined};
use super::batch::PreparedBatch;
use super::committed_ids::CommittedIds;
use super::event_copies::write_accepted;
use super::order_aggregate::{settle_returns, Around, FreshReturn, ReturnsSettled};
use super::return_sql::{self, HeldReturnRow};
use super::rows::TransactionMeta;
use super::sql::{self, BatchAudit, RejectedRow};
use super::{StoreError, Subscription};
use crate::flow::envelope::{Envelope, Verdict};
use crate::flow::headers_json::headers_to_json;
use crate::flow::outcomes::BatchOutcome;
use crate::flow::quarantine::{Quarantine, QuarantineReason};
use crate::offsets::stored_offsets;
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Duration;

/// The first and last offset of each partition in the batch.
type OffsetRanges = BTreeMap<i32, (i64, i64)>;

/// Accepted sales with their rows, valid returns, and the records to quarantine.
type Sorted<'a> = (Vec<Accepted<'a>>, Vec<FreshReturn<'a>>, Vec<Quarantined<'a>>);

/// Commits `batch` inside the caller's transaction; `hold` is how long a
/// return may wait for its sale.
pub(super) fn commit(
    conn: &mut PgConnection,
    subscription: &Subscription,
    batch: &PreparedBatch,
    committed: &CommittedIds,
    hold: Duration,
) -> Result<BatchOutcome, StoreError> {
    let envelopes = batch.envelopes();
    let stored = lock_offsets(conn, subscription, envelopes)?;
    let fresh = fresh_once(envelopes, &stored);
    let mut outcome = BatchOutcome {
        settled: envelopes.len() as u64,
        settled_bytes: envelopes.iter().map(Envelope::size_bytes).sum(),
        ..BatchOutcome::default()
    };
    if fresh.is_empty() {
        outcome.next_offsets = stored.into_iter().collect();
        return Ok(outcome);
    }
    let fresh_envelopes: Vec<&Envelope> = fresh.iter().map(|&i| &envelopes[i]).collect();
    outcome.n_in = fresh.len() as u64;
    let transaction = TransactionMeta { ingested_at: sql::transaction_time(conn)? };
    let (accepted, returns, mut quarantined) = sort_by_verdict(batch, &fresh)?;
    outcome.duplicates =
        fresh_envelopes.iter().filter(|e| matches!(e.verdict, Verdict::Duplicate)).count() as u64;
    let held = held_now(conn, subscription)?;
    // Nothing held: no held return can be released, and the lookup by the
    // batch's orders is skipped (the usual case, at every batch).
    let sale_orders = if held == 0 { Vec::new() } else { orders_of(&accepted) };
    let written = write_accepted(conn, batch.topic(), accepted, &transaction, committed)?;
    outcome.inserted = written.inserted;
    outcome.duplicates += written.duplicates;
    outcome.staged_ids = written.staged_ids;
    quarantined.extend(written.refused);
    let around = Around { subscription, now: transaction.ingested_at, hold, held };
    let returns = settle_returns(conn, &around, returns, &sale_orders)?;
    add_returns(&mut outcome, &returns);
    quarantined.extend(returns.refused);
    let (rejected, already_quarantined) =
        write_rejected_events(conn, subscription, &quarantined, &returns.refused_held)?;
    outcome.rejected = rejected;
    // Quarantined by this group before (offsets reset for a replay): not twice.
    outcome.duplicates += already_quarantined;
    let ranges = offset_ranges(&fresh_envelopes);
    outcome.n_in_by_partition = count_by_partition(&fresh_envelopes);
    write_ingest_batch(conn, &subscription.group_id, &subscription.topic, &ranges, &outcome)?;
    outcome.next_offsets = write_consumer_offsets(conn, subscription, &ranges, stored)?;
    outcome.held_now = Some(u64::try_from(held + outcome.held_change).unwrap_or_default());
    Ok(outcome)
}

/// Inside the caller's transaction: judges again the held returns whose
/// bound has passed (staged if their sale came meanwhile, quarantined if
/// not), with an audit row of no records when any was released.
pub(super) fn release_expired(
    conn: &mut PgConnection,
    subscription: &Subscription,
    hold: Duration,
) -> Result<BatchOutcome, StoreError> {
    let mut outcome = BatchOutcome::default();
    let held = held_now(conn, subscription)?;
    let now = sql::transaction_time(conn)?;
    let expired_before = now - chrono::Duration::from_std(hold).unwrap_or_default();
    let Subscription { group_id, topic, .. } = subscription;
    if held == 0 || !return_sql::any_expired(conn, group_id, topic, expired_before)? {
        outcome.held_now = Some(u64::try_from(held).unwrap_or_default());
        return Ok(outcome);
    }
    let around = Around { subscription, now, hold, held };
    let returns = settle_returns(conn, &around, Vec::new(), &[])?;
    add_returns(&mut outcome, &returns);
    let (rejected, already) =
        write_rejected_events(conn, subscription, &[], &returns.refused_held)?;
    outcome.rejected = rejected;
    outcome.duplicates += already;
    write_ingest_batch(conn, group_id, topic, &OffsetRanges::new(), &outcome)?;
    outcome.held_now = Some(u64::try_from(held + outcome.held_change).unwrap_or_default());
    Ok(outcome)
}

/// How many returns the group holds, before this transaction.
fn held_now(conn: &mut PgConnection, subscription: &Subscription) -> Result<i64, StoreError> {
    Ok(return_sql::count_held(conn, &subscription.group_id, &subscription.topic)?)
}

/// Adds what the returns came to (the refusals are written with the rest).
fn add_returns(outcome: &mut BatchOutcome, returns: &ReturnsSettled<'_>) {
    outcome.inserted += returns.inserted;
    outcome.returns_inserted = returns.inserted;
    outcome.duplicates += returns.duplicates;
    outcome.held_change = returns.held_change;
}

/// The distinct orders of the accepted sales.
fn orders_of(accepted: &[Accepted<'_>]) -> Vec<String> {
    let orders: BTreeSet<&str> = accepted
        .iter()
        .filter_map(|(envelope, _)| match &envelope.verdict {
            Verdict::Valid { sale, .. } => Some(sale.order_id.as_str()),
            _ => None,
        })
        .collect();
    orders.into_iter().map(str::to_owned).collect()
}

/// The indices of the records of the batch not yet committed (at or past
/// the stored offset of their partition), each once. A rebalance while the
/// batch was open makes the source resume from the stored offsets and read
/// again records whose first copy is already in this batch: with both
/// copies the batch's counts would not add up, and its audit row would
/// break the check `n_in = inserted + rejected + duplicates` on every retry. The
/// first copy is kept; the others are settled with the batch, like
/// already committed records.
fn fresh_once(envelopes: &[Envelope], stored: &HashMap<i32, i64>) -> Vec<usize> {
    let mut seen = HashSet::new();
    (0..envelopes.len())
        .filter(|&i| {
            let c = envelopes[i].coordinates;
            c.offset >= stored.get(&c.partition).copied().unwrap_or(0)
                && seen.insert((c.partition, c.offset))
        })
        .collect()
}

/// Locks the stored offsets of the group on the topic (claiming a row for
/// each new partition of the batch first), and returns them.
fn lock_offsets(
    conn: &mut PgConnection,
    subscription: &Subscription,
    envelopes: &[Envelope],
) -> Result<HashMap<i32, i64>, StoreError> {
    let Subscription { group_id, topic, topic_id } = subscription;
    let partitions: BTreeSet<i32> = envelopes.iter().map(|e| e.coordinates.partition).collect();
    let partitions: Vec<i32> = partitions.into_iter().collect();
    stored_offsets::claim_offset_rows(conn, group_id, topic, topic_id, &partitions)?;
    Ok(stored_offsets::lock_stored_offsets(conn, group_id, topic)?)
}

/// The fresh records (by index in `batch`) that go to
/// staging.sales_events, with their rows, and those that go to the
/// quarantine; duplicates go to neither.
fn sort_by_verdict<'a>(
    batch: &'a PreparedBatch,
    fresh: &[usize],
) -> Result<Sorted<'a>, StoreError> {
    let mut quarantined = Vec::new();
    let mut accepted = Vec::new();
    let mut returns = Vec::new();
    for &index in fresh {
        let envelope = &batch.envelopes()[index];
        match &envelope.verdict {
            Verdict::Valid { .. } => match batch.row(index) {
                Some(Ok(row)) => accepted.push((envelope, row)),
                Some(Err(why)) => return Err(StoreError::Layout(why.clone())),
                None => return Err(StoreError::Layout("a valid record has no row".into())),
            },
            Verdict::ValidReturn { event, schema_id } => {
                returns.push((envelope, &**event, *schema_id))
            }
            Verdict::Rejected(q) => quarantined.push((envelope, q.clone())),
            Verdict::Duplicate => {}
            Verdict::Raw | Verdict::Decoded { .. } | Verdict::DecodedReturn { .. } => quarantined
                .push((
                    envelope,
                    Quarantine::new(
                        QuarantineReason::Unprocessed,
                        "reached the writer unprocessed",
                        None,
                    ),
                )),
        }
    }
    Ok((accepted, returns, quarantined))
}

/// What a quarantined record brought from Kafka: read from its envelope, or
/// from the row that held it (a return refused after waiting for its sale).
struct RecordAsRead<'a> {
    partition: i32,
    offset: i64,
    key: Option<&'a [u8]>,
    value: Option<&'a [u8]>,
    timestamp: Option<DateTime<Utc>>,
    headers: serde_json::Value,
}

impl<'a> From<&'a Envelope> for RecordAsRead<'a> {
    fn from(envelope: &'a Envelope) -> Self {
        RecordAsRead {
            partition: envelope.coordinates.partition,
            offset: envelope.coordinates.offset,
            key: envelope.key.as_deref(),
            value: envelope.payload.as_deref(),
            timestamp: envelope.timestamp,
            headers: headers_to_json(&envelope.headers),
        }
    }
}

impl<'a> From<&'a HeldReturnRow> for RecordAsRead<'a> {
    fn from(row: &'a HeldReturnRow) -> Self {
        RecordAsRead {
            partition: row.kafka_partition,
            offset: row.kafka_offset,
            key: row.message_key.as_deref(),
            value: row.raw_value.as_deref(),
            timestamp: row.kafka_timestamp,
            headers: row.kafka_headers.clone(),
        }
    }
}

/// The quarantined records (of the batch, and held returns refused), into
/// staging.rejected_events; returns how many were quarantined per reason,
/// and how many this group had quarantined already.
fn write_rejected_events(
    conn: &mut PgConnection,
    subscription: &Subscription,
    quarantined: &[Quarantined<'_>],
    refused_held: &[(HeldReturnRow, Quarantine)],
) -> Result<(Vec<(QuarantineReason, u64)>, u64), StoreError> {
    let records = quarantined
        .iter()
        .map(|(envelope, q)| (RecordAsRead::from(*envelope), q))
        .chain(refused_held.iter().map(|(row, q)| (RecordAsRead::from(row), q)));
    let (rows, reasons): (Vec<RejectedRow<'_>>, Vec<QuarantineReason>) = records
        .map(|(record, q)| {
            let row = RejectedRow {
                group_id: &subscription.group_id,
                topic: &subscription.topic,
                topic_id: &subscription.topic_id,
                kafka_partition: record.partition,
                kafka_offset: record.offset,
                message_key: record.key,
                raw_value: record.value,
                kafka_timestamp: record.timestamp,
                kafka_headers: record.headers,
                schema_id: q.schema_id,
                reason: q.reason.code(),
                // PostgreSQL text cannot hold NUL; the raw bytes keep the truth.
                detail: q.detail.replace('\0', "\\0"),
            };
            (row, q.reason)
        })
        .unzip();
    let inserted: HashSet<(i32, i64)> =
        sql::insert_rejected_events(conn, &rows)?.into_iter().collect();
    let mut by_reason: HashMap<QuarantineReason, u64> = HashMap::new();
    for (row, reason) in rows.iter().zip(reasons) {
        if inserted.contains(&(row.kafka_partition, row.kafka_offset)) {
            *by_reason.entry(reason).or_default() += 1;
        }
    }
    let already = (rows.len() - inserted.len()) as u64;
    Ok((by_reason.into_iter().collect(), already))
}

/// The audit row, into staging.ingest_batches.
fn write_ingest_batch(
    conn: &mut PgConnection,
    group_id: &str,
    topic: &str,
    ranges: &OffsetRanges,
    outcome: &BatchOutcome,
) -> Result<(), StoreError> {
    let offset_ranges = ranges
        .iter()
        .map(|(p, (first, last))| {
            json!({"partition": p, "first_offset": first, "last_offset": last})
        })
        .collect();
    let count = |n: u64| i32::try_from(n).expect("a batch holds fewer than 2^31 records");
    let audit = BatchAudit {
        group_id,
        topic,
        offset_ranges: serde_json::Value::Array(offset_ranges),
        n_in: count(outcome.n_in),
        n_inserted: count(outcome.inserted),
        n_rejected: count(outcome.rejected.iter().map(|(_, n)| n).sum()),
        n_duplicate: count(outcome.duplicates),
        n_held: i32::try_from(outcome.held_change).expect("a batch holds fewer than 2^31 records"),
    };
    Ok(sql::insert_ingest_batch(conn, &audit)?)
}

/// The new next offsets, into staging.consumer_offsets; returns every
/// stored offset of the topic after the batch.
fn write_consumer_offsets(
    conn: &mut PgConnection,
    subscription: &Subscription,
    ranges: &OffsetRanges,
    stored: HashMap<i32, i64>,
) -> Result<Vec<(i32, i64)>, StoreError> {
    let mut next = stored;
    for (&partition, &(_, last)) in ranges {
        let Subscription { group_id, topic, topic_id } = subscription;
        stored_offsets::store_offset(conn, group_id, topic, topic_id, partition, last + 1)?;
        next.insert(partition, last + 1);
    }
    Ok(next.into_iter().collect())
}

/// How many fresh records each partition gave (its part of `n_in`).
fn count_by_partition(fresh: &[&Envelope]) -> Vec<(i32, u64)> {
    let mut counts: BTreeMap<i32, u64> = BTreeMap::new();
    for envelope in fresh {
        *counts.entry(envelope.coordinates.partition).or_default() += 1;
    }
    counts.into_iter().collect()
}

fn offset_ranges(fresh: &[&Envelope]) -> OffsetRanges {
    let mut ranges = OffsetRanges::new();
    for envelope in fresh {
        let c = envelope.coordinates;
        let range = ranges.entry(c.partition).or_insert((c.offset, c.offset));
        range.0 = range.0.min(c.offset);
        range.1 = range.1.max(c.offset);
    }
    ranges
}
