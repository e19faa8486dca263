//! Why a write failed, as far as the batch is concerned: a refusal of the
//! data, which quarantines the one row that causes it, or anything else,
//! which the writer retries whole with backoff, quarantining nothing.
//!
//! Only SQLSTATE classes 22 (data exception: a NUL character, a number too
//! wide) and 23 (integrity constraint violation) are refusals. Diesel names
//! the class-23 errors itself; it reports the others as `Unknown`, without
//! their SQLSTATE, so rows are re-inserted through the function
//! `staging.insert_sales_events`, which puts the SQLSTATE in brackets at the
//! start of the message (see its migration). An error without a tag is
//! never taken for a refusal: a lock or statement timeout, a terminated
//! connection, a read-only or full database, a deadlock or a serialization
//! failure all land here, and so does anything not foreseen. A failure
//! that is retried costs time, not data; a wrong refusal would cost data.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// What a failed write means for its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteFailure {
    /// PostgreSQL refused a value or a constraint (class 22 or 23).
    Refusal,
    /// Anything else: retry the whole batch.
    Transient,
}

/// Classifies the error of a write of staged rows.
pub(crate) fn classify(err: &DieselError) -> WriteFailure {
    let DieselError::DatabaseError(kind, info) = err else { return WriteFailure::Transient };
    match kind {
        DatabaseErrorKind::UniqueViolation
        | DatabaseErrorKind::ForeignKeyViolation
        | DatabaseErrorKind::NotNullViolation
        | DatabaseErrorKind::CheckViolation
        | DatabaseErrorKind::RestrictViolation
        | DatabaseErrorKind::ExclusionViolation => WriteFailure::Refusal,
        _ => match sqlstate_tag(info.message()) {
            Some(code) if code.starts_with("22") || code.starts_with("23") => WriteFailure::Refusal,
            _ => WriteFailure::Transient,
        },
    }
}

/// The SQLSTATE that `staging.insert_sales_events` puts at the start of a
/// message: `[22021] invalid byte sequence…` gives `22021`.
pub(crate) fn sqlstate_tag(message: &str) -> Option<&str> {
    let code = message.strip_prefix('[')?.split_once(']')?.0;
    (code.len() == 5 && code.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database_error(kind: DatabaseErrorKind, message: &str) -> DieselError {
        DieselError::DatabaseError(kind, Box::new(message.to_owned()))
    }

    #[test]
    fn only_classes_22_and_23_refuse_rows() {
        let unknown = DatabaseErrorKind::Unknown;
        for refusal in [
            database_error(DatabaseErrorKind::CheckViolation, "violates check constraint"),
            database_error(unknown, "[22P05] unsupported Unicode escape sequence"),
            database_error(unknown, "[22003] numeric field overflow"),
            database_error(unknown, "[23514] new row violates check constraint"),
        ] {
            assert_eq!(classify(&refusal), WriteFailure::Refusal, "{refusal}");
        }
        for transient in [
            database_error(unknown, "[55P03] canceling statement due to lock timeout"),
            database_error(unknown, "canceling statement due to statement timeout"),
            database_error(unknown, "[25006] cannot execute INSERT in a read-only transaction"),
            database_error(unknown, "[53100] could not extend file: No space left on device"),
            database_error(unknown, "[40P01] deadlock detected"),
            database_error(DatabaseErrorKind::SerializationFailure, "could not serialize access"),
            database_error(DatabaseErrorKind::ClosedConnection, "terminating connection"),
            database_error(DatabaseErrorKind::ReadOnlyTransaction, "read-only transaction"),
            database_error(unknown, "invalid byte sequence for encoding \"UTF8\": 0x00"),
            DieselError::NotFound,
        ] {
            assert_eq!(classify(&transient), WriteFailure::Transient, "{transient}");
        }
    }

    #[test]
    fn the_tag_is_five_characters_in_brackets_at_the_start() {
        assert_eq!(sqlstate_tag("[22021] invalid byte"), Some("22021"));
        assert_eq!(sqlstate_tag("invalid [22021]"), None);
        assert_eq!(sqlstate_tag("[2202] short"), None);
    }
}
