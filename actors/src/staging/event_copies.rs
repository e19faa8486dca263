//! The accepted records of one batch into staging.sales_events, with every
//! copy of an event id settled in order: a copy is a duplicate only if its
//! id is committed in staging, by an earlier transaction ([`CommittedIds`])
//! or by an earlier copy in this one.
//!
//! The first copy of each id goes to PostgreSQL ([`RowInsert`]: one COPY
//! while no id is known, so re-sent events do not cost the fast path).
//! Later copies wait for its verdict: once it is staged (or found staged)
//! they are duplicates; if PostgreSQL refused it, the next copy is tried in
//! its place, because that copy may be the corrected one.

use super::accepted_rows::{Accepted, Quarantined, RowInsert};
use super::committed_ids::CommittedIds;
use super::rows::TransactionMeta;
use super::StoreError;
use crate::flow::envelope::{Envelope, Verdict};
use diesel::pg::PgConnection;
use std::collections::HashSet;
use uuid::Uuid;

/// What the accepted records of a batch came to.
#[derive(Default)]
pub(super) struct AcceptedOutcome<'a> {
    pub(crate) inserted: u64,
    /// Copies of ids committed before or earlier in this transaction.
    pub(crate) duplicates: u64,
    /// The ids that are in staging once this transaction commits.
    pub(crate) staged_ids: Vec<Uuid>,
    /// The records whose rows PostgreSQL refused, to quarantine.
    pub(crate) refused: Vec<Quarantined<'a>>,
}

/// Writes `accepted` (in batch order) inside the caller's transaction.
pub(super) fn write_accepted<'a>(
    conn: &mut PgConnection,
    topic: &str,
    accepted: Vec<Accepted<'a>>,
    transaction: &TransactionMeta,
    committed: &CommittedIds,
) -> Result<AcceptedOutcome<'a>, StoreError> {
    let mut outcome = AcceptedOutcome::default();
    let known = committed.contains_each(accepted.iter().map(|(e, _)| event_id(e)));
    let total = accepted.len();
    let mut pending: Vec<Accepted<'a>> =
        accepted.into_iter().zip(known).filter(|(_, known)| !known).map(|(a, _)| a).collect();
    outcome.duplicates = (total - pending.len()) as u64;
    while !pending.is_empty() {
        let (round, later) = first_copies(pending);
        let (inserted, refused) =
            RowInsert::new(topic, &round, transaction.clone())?.write(conn)?;
        outcome.inserted += inserted as u64;
        outcome.duplicates += (round.len() - refused.len() - inserted) as u64;
        let refused_ids: HashSet<Uuid> = refused.iter().map(|(e, _)| event_id(e)).collect();
        let staged = round.iter().map(|(e, _)| event_id(e)).filter(|id| !refused_ids.contains(id));
        outcome.staged_ids.extend(staged);
        outcome.refused.extend(refused);
        let (retry, settled): (Vec<_>, Vec<_>) =
            later.into_iter().partition(|(e, _)| refused_ids.contains(&event_id(e)));
        outcome.duplicates += settled.len() as u64;
        pending = retry;
    }
    Ok(outcome)
}

/// The first copy of each id, in order, and the later copies.
fn first_copies<'a>(accepted: Vec<Accepted<'a>>) -> (Vec<Accepted<'a>>, Vec<Accepted<'a>>) {
    let mut seen = HashSet::with_capacity(accepted.len());
    accepted.into_iter().partition(|(e, _)| seen.insert(event_id(e)))
}

fn event_id(envelope: &Envelope) -> Uuid {
    match &envelope.verdict {
        Verdict::Valid { sale, .. } => sale.event_id,
        // Only valid records are accepted; the nil id never matches a real one.
        _ => Uuid::nil(),
    }
}
