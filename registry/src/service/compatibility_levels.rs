//! Compatibility levels: the global one (BACKWARD until someone sets
//! another) and each subject's own, which wins when it has one.

use crate::compatibility::CompatibilityLevel;
use crate::repository as repo;
use crate::service::{Outcome, Registry, RegistryError};
use diesel::pg::PgConnection;

/// Where the global level is stored (no Confluent subject is empty).
const GLOBAL: &str = "";

fn stored_level(conn: &mut PgConnection, scope: &str) -> Outcome<Option<CompatibilityLevel>> {
    repo::stored_level(conn, scope)?
        .map(|raw| raw.parse().map_err(RegistryError::Store))
        .transpose()
}

fn global_level(conn: &mut PgConnection) -> Outcome<CompatibilityLevel> {
    Ok(stored_level(conn, GLOBAL)?.unwrap_or(CompatibilityLevel::Backward))
}

/// The level that applies to `subject`: its own, else the global one.
pub(super) fn effective_level(
    conn: &mut PgConnection,
    subject: &str,
) -> Outcome<CompatibilityLevel> {
    match stored_level(conn, subject)? {
        Some(level) => Ok(level),
        None => global_level(conn),
    }
}

impl Registry {
    pub fn global_level(&self) -> Outcome<CompatibilityLevel> {
        self.with_conn(global_level)
    }

    /// The level of `subject` itself; with `default_to_global`, the global
    /// one when it has none (40408 otherwise).
    pub fn subject_level(
        &self,
        subject: &str,
        default_to_global: bool,
    ) -> Outcome<CompatibilityLevel> {
        self.with_conn(|conn| match stored_level(conn, subject)? {
            Some(level) => Ok(level),
            None if default_to_global => global_level(conn),
            None => Err(RegistryError::SubjectLevelNotConfigured(subject.to_owned())),
        })
    }

    /// Sets the level of `subject`, or the global one when None.
    pub fn set_level(&self, subject: Option<&str>, level: CompatibilityLevel) -> Outcome<()> {
        self.with_conn(|conn| Ok(repo::set_level(conn, subject.unwrap_or(GLOBAL), level.as_str())?))
    }

    /// Removes the level of `subject`, returning it.
    pub fn delete_level(&self, subject: &str) -> Outcome<CompatibilityLevel> {
        self.with_conn(|conn| {
            let previous = stored_level(conn, subject)?
                .ok_or_else(|| RegistryError::SubjectLevelNotConfigured(subject.to_owned()))?;
            repo::delete_level(conn, subject)?;
            Ok(previous)
        })
    }
}
