//! Deleting versions and subjects, as Confluent does: a soft delete hides a
//! version (its number is never reused, its schema id stays readable, so old
//! data stays decodable); a permanent delete needs a soft one first, and
//! still never frees the version number (the subject's high-water mark stays).
//!
//! A delete holds the subject's lock, as registration does: without it, a
//! permanent delete that had read "every version is soft-deleted" could
//! remove a version registered a moment later, live and in use.

use super::{version_not_found, Outcome, Registry, RegistryError, VersionSelector};
use crate::repository::{self as repo, VersionRow};
use diesel::pg::PgConnection;
use diesel::Connection;

/// Every version of `subject`, deleted or not; 40401 if none.
fn all_versions(conn: &mut PgConnection, subject: &str) -> Outcome<Vec<VersionRow>> {
    let rows = repo::versions(conn, subject)?;
    if rows.is_empty() {
        return Err(RegistryError::SubjectNotFound(subject.to_owned()));
    }
    Ok(rows)
}

impl Registry {
    /// Deletes one version: soft, or permanently once soft-deleted.
    /// Returns the version number.
    pub fn delete_version(
        &self,
        subject: &str,
        selector: VersionSelector,
        permanent: bool,
    ) -> Outcome<i32> {
        self.with_conn(|conn| {
            conn.transaction(|conn| {
                repo::lock_subject(conn, subject)?;
                let rows = all_versions(conn, subject)?;
                let (wanted, asked) = match selector {
                    VersionSelector::Number(n) => (rows.iter().find(|(v, _)| *v == n).copied(), n),
                    VersionSelector::Latest => (rows.iter().rev().find(|(_, d)| !d).copied(), -1),
                };
                let (version, deleted) = wanted.ok_or_else(|| version_not_found(subject, asked))?;
                match (permanent, deleted) {
                    (false, true) => Err(version_not_found(subject, asked)),
                    (false, false) => Ok(repo::mark_deleted(conn, subject, Some(version))?),
                    (true, false) => Err(RegistryError::VersionNotSoftDeleted {
                        subject: subject.to_owned(),
                        version,
                    }),
                    (true, true) => Ok(repo::remove_versions(conn, subject, Some(version))?),
                }
                .map(|()| version)
            })
        })
    }

    /// Deletes a subject: soft (every live version), or permanently once
    /// every version is soft-deleted (its own level goes too). Returns the
    /// versions deleted.
    pub fn delete_subject(&self, subject: &str, permanent: bool) -> Outcome<Vec<i32>> {
        self.with_conn(|conn| {
            conn.transaction(|conn| {
                repo::lock_subject(conn, subject)?;
                let rows = all_versions(conn, subject)?;
                let live: Vec<i32> = rows.iter().filter(|(_, d)| !d).map(|(v, _)| *v).collect();
                if permanent {
                    if !live.is_empty() {
                        return Err(RegistryError::SubjectNotSoftDeleted(subject.to_owned()));
                    }
                    repo::remove_versions(conn, subject, None)?;
                    repo::delete_level(conn, subject)?;
                    return Ok(rows.into_iter().map(|(v, _)| v).collect());
                }
                if live.is_empty() {
                    return Err(RegistryError::SubjectSoftDeleted(subject.to_owned()));
                }
                repo::mark_deleted(conn, subject, None)?;
                Ok(live)
            })
        })
    }
}
