//! The accepted rows of one batch, into staging.sales_events: one COPY of
//! the rows built beforehand when dedup already removed the known ids;
//! otherwise the insert function, which skips known ids and narrows a
//! refused row down to itself so that only it is quarantined.

use crate::flow::envelope::{Envelope, Verdict};
use crate::flow::quarantine::{Quarantine, QuarantineReason};
use crate::staging::batch::record_meta;
use crate::staging::failure::{self, WriteFailure};
use crate::staging::rows::{copy_binary, StagedRow, TransactionMeta};
use crate::staging::sql;
use crate::staging::StoreError;
use diesel::pg::PgConnection;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::Connection;

/// An accepted record, and its row.
pub(super) type Accepted<'a> = (&'a Envelope, &'a StagedRow);

/// A record to quarantine, and why.
pub(super) type Quarantined<'a> = (&'a Envelope, Quarantine);

/// Writes the accepted rows into staging.sales_events.
pub(super) struct RowInsert<'r, 'a> {
    topic: &'r str,
    accepted: &'r [Accepted<'a>],
    transaction: TransactionMeta,
    /// The transaction's own columns, the same in every row.
    shared: StagedRow,
}

impl<'r, 'a> RowInsert<'r, 'a> {
    pub(super) fn new(
        topic: &'r str,
        accepted: &'r [Accepted<'a>],
        transaction: TransactionMeta,
    ) -> Result<Self, StoreError> {
        let shared = StagedRow::shared(&transaction)?;
        Ok(RowInsert { topic, accepted, transaction, shared })
    }

    /// Returns how many rows were inserted (known event ids are not), and
    /// the records whose rows PostgreSQL refused, each isolated and
    /// quarantined on its own.
    pub(super) fn write(
        &self,
        conn: &mut PgConnection,
    ) -> Result<(usize, Vec<Quarantined<'a>>), StoreError> {
        let mut refused = Vec::new();
        let inserted = self.insert_isolating(conn, &mut refused)?;
        let quarantined = refused
            .into_iter()
            .map(|(index, message)| {
                let (envelope, _) = self.accepted[index];
                let schema_id = match &envelope.verdict {
                    Verdict::Valid { schema_id, .. } => Some(*schema_id),
                    _ => None,
                };
                let reason = QuarantineReason::RefusedByDatabase;
                (envelope, Quarantine::new(reason, message, schema_id))
            })
            .collect();
        Ok((inserted, quarantined))
    }

    /// Inserts every row under a savepoint: one COPY when dedup already
    /// removed the known ids, an insert that skips them when it did not.
    /// When the COPY fails otherwise, the same rows go through the insert,
    /// whose errors say what failed (`crate::staging::failure`): a refusal of the
    /// data is narrowed down by halving under savepoints until the row that
    /// causes it is found and reported in `refused` with its index and
    /// message; any other failure fails the batch, to be retried whole.
    fn insert_isolating(
        &self,
        conn: &mut PgConnection,
        refused: &mut Vec<(usize, String)>,
    ) -> Result<usize, StoreError> {
        if self.accepted.is_empty() {
            return Ok(0);
        }
        let copy = copy_binary(self.accepted.iter().map(|(_, row)| *row), &self.shared)?;
        match conn.transaction(|conn| sql::copy_sales_events(conn, &copy)) {
            Ok(inserted) => return Ok(inserted),
            Err(DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info)) => {
                let closed = DatabaseErrorKind::ClosedConnection;
                return Err(DieselError::DatabaseError(closed, info).into());
            }
            // A known event id, a refused value, or a failure to tell apart: the insert says which.
            Err(_) => {}
        }
        let every_row: Vec<usize> = (0..self.accepted.len()).collect();
        self.insert_narrowing(conn, &every_row, refused)
    }

    /// Inserts the rows at `indices` through `staging.insert_sales_events`
    /// under a savepoint, halving on a refusal until the refused rows are
    /// isolated.
    fn insert_narrowing(
        &self,
        conn: &mut PgConnection,
        indices: &[usize],
        refused: &mut Vec<(usize, String)>,
    ) -> Result<usize, StoreError> {
        if indices.is_empty() {
            return Ok(0);
        }
        let rows = indices.iter().map(|&i| self.json(i)).collect::<Result<Vec<_>, _>>()?;
        let rows = serde_json::Value::Array(rows);
        let attempt = conn.transaction(|conn| sql::insert_sales_events_ignoring_known(conn, &rows));
        match attempt {
            Ok(inserted) => Ok(inserted),
            Err(err) if failure::classify(&err) == WriteFailure::Transient => Err(err.into()),
            Err(err) if indices.len() == 1 => {
                refused.push((indices[0], refusal_detail(&err)));
                Ok(0)
            }
            Err(_) => {
                let (left, right) = indices.split_at(indices.len() / 2);
                Ok(self.insert_narrowing(conn, left, refused)?
                    + self.insert_narrowing(conn, right, refused)?)
            }
        }
    }

    /// The whole row of the accepted record at `index`, as JSON.
    fn json(&self, index: usize) -> Result<serde_json::Value, StoreError> {
        let (envelope, _) = self.accepted[index];
        let Verdict::Valid { sale, schema_id } = &envelope.verdict else {
            return Err(StoreError::Layout("an accepted record is not valid".into()));
        };
        let meta = record_meta(self.topic, envelope, *schema_id);
        StagedRow::json(sale, &meta, &self.transaction)
    }
}

/// The message of a refusal, without the SQLSTATE tag the insert adds.
fn refusal_detail(err: &DieselError) -> String {
    let message = err.to_string();
    match failure::sqlstate_tag(&message) {
        Some(code) => message[code.len() + 2..].trim_start().to_owned(),
        None => message,
    }
}
