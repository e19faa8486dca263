//! The order aggregate, inside the batch's transaction: each return of the
//! batch is judged against its order's ledger ([`OrderLedger`]), folded from
//! the log itself (the order's staged sales and returns, read under the
//! batch's offset locks, with this batch's sales already written), and then
//! staged, refused with the broken invariant's reason, or held.
//!
//! Why here and not in a stage of its own before the writer: a judgement
//! made before the transaction rests on sales and returns that may not
//! commit (a batch rolled back and retried, given up on a revoke, a writer
//! restarted), and a return accepted against a sale that never commits
//! would break the invariant it was checked for. Folded in the transaction
//! that stages the return, the ledger is exactly what staging holds, and
//! exactly-once holds for returns as for sales. Memory stays bounded by the
//! batch: only the orders its returns name are read, through the indexes on
//! `order_id`.
//!
//! A return whose line has no staged sale (the sale is late: another
//! partition after a re-keying, a replay, a restart) is **held** in
//! `staging.held_returns`, written in this transaction so the partition's
//! offsets can move past it without losing it. A later batch that stages a
//! sale of its order judges it again; once held longer than the bound, it
//! is quarantined as `return_without_sale`, with its bytes, for a replay
//! from the dead-letter topic once the sale is in.

use super::accepted_rows::Quarantined;
use super::batch::record_meta;
use super::return_sql::{self, HeldReturnRow, ReturnRow};
use super::rows::RecordMeta;
use super::{StoreError, Subscription};
use crate::flow::envelope::Envelope;
use crate::flow::headers_json::headers_to_json;
use crate::flow::quarantine::Quarantine;
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Duration;
use superstore_domain::{
    validate_return, Money, OrderLedger, Quantity, RejectReason, Rejection, Return, ReturnEvent,
    ReturnReason,
};
use uuid::Uuid;

/// A valid return of the batch, with its record and writer schema id.
pub(super) type FreshReturn<'a> = (&'a Envelope, &'a Return, i32);

/// What the returns of one transaction came to.
#[derive(Default)]
pub(super) struct ReturnsSettled<'a> {
    /// Returns inserted into staging.return_events.
    pub(super) inserted: u64,
    /// Copies of returns staged or held before, or earlier in this transaction.
    pub(super) duplicates: u64,
    /// Returns held by this transaction, less those it released.
    pub(super) held_change: i64,
    /// Returns of the batch refused by the aggregate.
    pub(super) refused: Vec<Quarantined<'a>>,
    /// Held returns refused: their bound passed, or their sale came and
    /// the return breaks another invariant.
    pub(super) refused_held: Vec<(HeldReturnRow, Quarantine)>,
}

/// What the aggregate needs of the transaction around it.
pub(super) struct Around<'s> {
    pub(super) subscription: &'s Subscription,
    /// The transaction's start: the rows' `ingested_at`, and the clock of the bound.
    pub(super) now: DateTime<Utc>,
    /// How long a return waits for its sale; zero refuses it at once.
    pub(super) hold: Duration,
    /// How many returns the group held before this transaction: with none,
    /// the statements about held returns are skipped.
    pub(super) held: i64,
}

/// Judges the batch's valid returns (in batch order), and the held returns
/// of the orders of `sale_orders` (the orders this batch staged sales of)
/// or past the bound, and writes what they came to.
pub(super) fn settle_returns<'a>(
    conn: &mut PgConnection,
    around: &Around<'_>,
    fresh: Vec<FreshReturn<'a>>,
    sale_orders: &[String],
) -> Result<ReturnsSettled<'a>, StoreError> {
    let Subscription { group_id, topic, .. } = around.subscription;
    let expired_before = around.now - chrono::Duration::from_std(around.hold).unwrap_or_default();
    let released = match around.held {
        0 => Vec::new(),
        _ => return_sql::take_held(conn, group_id, topic, sale_orders, expired_before)?,
    };
    if fresh.is_empty() && released.is_empty() {
        return Ok(ReturnsSettled::default());
    }
    let fresh_ids: Vec<Uuid> = fresh.iter().map(|(_, event, _)| event.event_id).collect();
    let held_before = match around.held {
        0 => HashSet::new(),
        _ => return_sql::held_return_ids(conn, group_id, topic, &fresh_ids)?.into_iter().collect(),
    };
    let orders: BTreeSet<String> = fresh
        .iter()
        .map(|(_, event, _)| event.order_id.clone())
        .chain(released.iter().map(|row| row.order_id.clone()))
        .collect();
    return_sql::find_rows_by_index(conn)?;
    // A staged copy of a return is of the same order: the order's returns,
    // read for its ledger, say which returns are staged already.
    let (ledgers, staged) = load_ledgers(conn, &orders.into_iter().collect::<Vec<_>>())?;
    let mut judging = Judging {
        around,
        expired_before,
        staged,
        held_before,
        ledgers,
        seen: HashSet::new(),
        staged_rows: Vec::new(),
        to_hold: Vec::new(),
        settled: ReturnsSettled::default(),
    };
    // The held ones first: they came before anything in this batch.
    for row in released {
        judging.held(row);
    }
    for candidate in fresh {
        judging.fresh(candidate);
    }
    let Judging { staged_rows, to_hold, mut settled, .. } = judging;
    let inserted = return_sql::insert_returns(conn, &staged_rows)?;
    settled.inserted = inserted as u64;
    // Staged meanwhile by another group reading the same topic.
    settled.duplicates += (staged_rows.len() - inserted) as u64;
    return_sql::insert_held(conn, &to_hold)?;
    Ok(settled)
}

/// The judgement of one transaction's returns, one at a time, in order.
struct Judging<'s, 'a> {
    around: &'s Around<'s>,
    expired_before: DateTime<Utc>,
    /// Ids of the judged orders' returns staged before this transaction.
    staged: HashSet<Uuid>,
    /// Ids of the batch's returns the group held before this transaction.
    held_before: HashSet<Uuid>,
    /// The ledgers of the orders judged, each accepted return folded in.
    ledgers: HashMap<String, OrderLedger>,
    /// Ids staged or held by this transaction.
    seen: HashSet<Uuid>,
    staged_rows: Vec<ReturnRow>,
    to_hold: Vec<HeldReturnRow>,
    settled: ReturnsSettled<'a>,
}

impl<'a> Judging<'_, 'a> {
    /// A held return taken out: staged, held again, refused or a duplicate.
    fn held(&mut self, row: HeldReturnRow) {
        let event = match held_event(&row) {
            Ok(event) => event,
            Err(rejection) => {
                let quarantine =
                    Quarantine::new(rejection.reason.into(), rejection.detail, Some(row.schema_id));
                return self.refuse_held(row, quarantine);
            }
        };
        if self.staged.contains(&event.event_id) || !self.seen.insert(event.event_id) {
            self.settled.held_change -= 1;
            self.settled.duplicates += 1;
            return;
        }
        match judge(&mut self.ledgers, &event) {
            Ok(()) => {
                self.settled.held_change -= 1;
                self.staged_rows.push(row_of_held(&row, &event, self.around.now));
            }
            Err(rejection)
                if rejection.reason == RejectReason::ReturnWithoutSale
                    && row.held_at >= self.expired_before =>
            {
                self.to_hold.push(row);
            }
            Err(rejection) => {
                let quarantine = held_too_long(rejection, &row, self.around);
                self.refuse_held(row, quarantine);
            }
        }
    }

    fn refuse_held(&mut self, row: HeldReturnRow, quarantine: Quarantine) {
        self.settled.held_change -= 1;
        self.settled.refused_held.push((row, quarantine));
    }

    /// A valid return of the batch: staged, held, refused or a duplicate.
    fn fresh(&mut self, (envelope, event, schema_id): FreshReturn<'a>) {
        let id = event.event_id;
        if self.staged.contains(&id) || self.held_before.contains(&id) || !self.seen.insert(id) {
            self.settled.duplicates += 1;
            return;
        }
        match judge(&mut self.ledgers, event) {
            Ok(()) => self.staged_rows.push(row_of_fresh(self.around, envelope, event, schema_id)),
            Err(rejection)
                if rejection.reason == RejectReason::ReturnWithoutSale
                    && !self.around.hold.is_zero() =>
            {
                self.settled.held_change += 1;
                self.to_hold.push(held_of_fresh(self.around, envelope, event, schema_id));
            }
            Err(rejection) => {
                let quarantine =
                    Quarantine { schema_id: Some(schema_id), ..Quarantine::from(rejection) };
                self.settled.refused.push((envelope, quarantine));
            }
        }
    }
}

/// The ledgers of `orders`, folded from their staged sales and returns,
/// and the ids of those returns.
fn load_ledgers(
    conn: &mut PgConnection,
    orders: &[String],
) -> Result<(HashMap<String, OrderLedger>, HashSet<Uuid>), StoreError> {
    let mut ledgers: HashMap<String, OrderLedger> = HashMap::new();
    for (order, product, order_date, quantity, sales) in return_sql::sold_lines(conn, orders)? {
        ledgers.entry(order).or_default().record_sale(
            &product,
            order_date,
            i64::from(quantity),
            sales,
        );
    }
    let mut staged = HashSet::new();
    for (id, order, product, quantity, refund) in return_sql::returned_lines(conn, orders)? {
        ledgers.entry(order).or_default().record_return(&product, i64::from(quantity), refund);
        staged.insert(id);
    }
    Ok((ledgers, staged))
}

/// Judges `event` against its order's ledger, folding it in if accepted.
fn judge(ledgers: &mut HashMap<String, OrderLedger>, event: &Return) -> Result<(), Rejection> {
    ledgers.entry(event.order_id.clone()).or_default().accept_return(event)
}

/// The refusal of a held return: for a sale that never came, how long it waited.
fn held_too_long(rejection: Rejection, row: &HeldReturnRow, around: &Around<'_>) -> Quarantine {
    let detail = if rejection.reason == RejectReason::ReturnWithoutSale {
        let (waited, bound) = ((around.now - row.held_at).num_seconds(), around.hold.as_secs());
        format!("{}; held {waited} s for its sale (the bound is {bound} s)", rejection.detail)
    } else {
        rejection.detail
    };
    Quarantine::new(rejection.reason.into(), detail, Some(row.schema_id))
}

/// The return a held row carries, checked again by its own rules.
fn held_event(row: &HeldReturnRow) -> Result<Return, Rejection> {
    let reason = ReturnReason::from_symbol(&row.reason)
        .map_err(|e| Rejection::new(RejectReason::UnknownEnumSymbol, e.to_string()))?;
    let refund = Money::try_new(row.refund)
        .map_err(|e| Rejection::new(RejectReason::NonPositiveRefund, e.to_string()))?;
    validate_return(ReturnEvent {
        event_id: row.event_id,
        event_time: row.event_time,
        order_id: row.order_id.clone(),
        product_id: row.product_id.clone(),
        quantity: Quantity(row.quantity),
        refund,
        reason,
        return_date: row.return_date,
    })
}

fn row_of_fresh(
    around: &Around<'_>,
    envelope: &Envelope,
    event: &Return,
    schema_id: i32,
) -> ReturnRow {
    let meta = record_meta(&around.subscription.topic, envelope, schema_id);
    staged_row(event, meta, around.now)
}

fn row_of_held(row: &HeldReturnRow, event: &Return, now: DateTime<Utc>) -> ReturnRow {
    let meta = RecordMeta {
        schema_id: row.schema_id,
        kafka_topic: &row.topic,
        kafka_partition: row.kafka_partition,
        kafka_offset: row.kafka_offset,
        kafka_timestamp: row.kafka_timestamp,
        kafka_headers: row.kafka_headers.clone(),
    };
    staged_row(event, meta, now)
}

/// The row of `event` in staging.return_events, with its record's place in Kafka.
fn staged_row(event: &Return, meta: RecordMeta<'_>, now: DateTime<Utc>) -> ReturnRow {
    ReturnRow {
        event_id: event.event_id,
        event_time: event.event_time,
        order_id: event.order_id.clone(),
        product_id: event.product_id.clone(),
        quantity: event.quantity.0,
        refund: event.refund.amount(),
        reason: event.reason.symbol().to_owned(),
        return_date: event.return_date,
        schema_id: meta.schema_id,
        kafka_topic: meta.kafka_topic.to_owned(),
        kafka_partition: meta.kafka_partition,
        kafka_offset: meta.kafka_offset,
        kafka_timestamp: meta.kafka_timestamp,
        kafka_headers: meta.kafka_headers,
        ingested_at: now,
    }
}

fn held_of_fresh(
    around: &Around<'_>,
    envelope: &Envelope,
    event: &Return,
    schema_id: i32,
) -> HeldReturnRow {
    let Subscription { group_id, topic, topic_id } = around.subscription;
    HeldReturnRow {
        event_id: event.event_id,
        group_id: group_id.clone(),
        topic: topic.clone(),
        topic_id: Some(topic_id.clone()),
        kafka_partition: envelope.coordinates.partition,
        kafka_offset: envelope.coordinates.offset,
        message_key: envelope.key.clone(),
        raw_value: envelope.payload.clone(),
        kafka_timestamp: envelope.timestamp,
        kafka_headers: headers_to_json(&envelope.headers),
        schema_id,
        event_time: event.event_time,
        order_id: event.order_id.clone(),
        product_id: event.product_id.clone(),
        quantity: event.quantity.0,
        refund: event.refund.amount(),
        reason: event.reason.symbol().to_owned(),
        return_date: event.return_date,
        held_at: around.now,
    }
}
