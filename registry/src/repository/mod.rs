//! The registry's storage, in the PostgreSQL schema `registry`, through
//! Diesel. It stores and loads, nothing more: which versions may be written,
//! deleted or reused is the service's business, and its errors speak of
//! rows and connections, never of HTTP.

mod compatibility_rows;

pub use compatibility_rows::{delete_level, set_level, stored_level};

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use superstore_database::schema::registry::{schemas, subject_high_water, subject_versions};

diesel::define_sql_function!(fn md5(text: Text) -> Text);
diesel::define_sql_function!(fn pg_advisory_xact_lock(key: BigInt));
diesel::define_sql_function!(fn hashtextextended(text: Text, seed: BigInt) -> BigInt);

/// What can go wrong in storage.
#[derive(Debug, thiserror::Error)]
pub enum RepositoryError {
    #[error("no database connection: {0}")]
    Connection(#[from] r2d2::Error),
    #[error("query failed: {0}")]
    Query(#[from] diesel::result::Error),
}

pub type Stored<T> = Result<T, RepositoryError>;

/// A stored version: its number, whether it is soft-deleted.
pub type VersionRow = (i32, bool);

/// Serializes writers of one subject until the surrounding transaction ends.
pub fn lock_subject(conn: &mut PgConnection, subject: &str) -> Stored<()> {
    diesel::select(pg_advisory_xact_lock(hashtextextended(format!("registry:{subject}"), 0)))
        .execute(conn)?;
    Ok(())
}

/// The id of the schema with this text, inserting it if it was never seen.
pub fn schema_id_for(conn: &mut PgConnection, text: &str) -> Stored<i32> {
    diesel::insert_into(schemas::table)
        .values((schemas::schema_text.eq(text), schemas::fingerprint.eq(md5(text))))
        .on_conflict((schemas::schema_type, schemas::fingerprint))
        .do_nothing()
        .execute(conn)?;
    Ok(schemas::table
        .filter(schemas::schema_type.eq("AVRO"))
        .filter(schemas::fingerprint.eq(md5(text)))
        .select(schemas::id)
        .first(conn)?)
}

/// The text of schema `id`, if there is one.
pub fn schema_text(conn: &mut PgConnection, id: i32) -> Stored<Option<String>> {
    Ok(schemas::table.find(id).select(schemas::schema_text).first(conn).optional()?)
}

/// The oldest live (version, schema id) of `subject` whose schema has this text.
pub fn live_version_with_text(
    conn: &mut PgConnection,
    subject: &str,
    text: &str,
) -> Stored<Option<(i32, i32)>> {
    Ok(subject_versions::table
        .inner_join(schemas::table)
        .filter(subject_versions::subject.eq(subject))
        .filter(subject_versions::deleted.eq(false))
        .filter(schemas::fingerprint.eq(md5(text)))
        .order(subject_versions::version.asc())
        .select((subject_versions::version, schemas::id))
        .first(conn)
        .optional()?)
}

/// Appends the next version of `subject` for schema `id`; returns its
/// number. The number comes from the subject's high-water mark, which a
/// permanent delete leaves alone, so no number is ever handed out twice.
pub fn append_version(conn: &mut PgConnection, subject: &str, schema_id: i32) -> Stored<i32> {
    use subject_high_water::dsl as mark;
    let version: i32 = diesel::insert_into(mark::subject_high_water)
        .values((mark::subject.eq(subject), mark::last_version.eq(1)))
        .on_conflict(mark::subject)
        .do_update()
        .set(mark::last_version.eq(mark::last_version + 1))
        .returning(mark::last_version)
        .get_result(conn)?;
    diesel::insert_into(subject_versions::table)
        .values((
            subject_versions::subject.eq(subject),
            subject_versions::version.eq(version),
            subject_versions::schema_id.eq(schema_id),
        ))
        .execute(conn)?;
    Ok(version)
}

/// The live (subject, version) pairs that use schema `id`, sorted.
pub fn live_uses_of_schema(conn: &mut PgConnection, id: i32) -> Stored<Vec<(String, i32)>> {
    Ok(subject_versions::table
        .filter(subject_versions::schema_id.eq(id))
        .filter(subject_versions::deleted.eq(false))
        .order((subject_versions::subject.asc(), subject_versions::version.asc()))
        .select((subject_versions::subject, subject_versions::version))
        .load(conn)?)
}

/// Subjects with at least one live version, sorted.
pub fn live_subjects(conn: &mut PgConnection) -> Stored<Vec<String>> {
    Ok(subject_versions::table
        .filter(subject_versions::deleted.eq(false))
        .select(subject_versions::subject)
        .distinct()
        .order(subject_versions::subject.asc())
        .load(conn)?)
}

/// Every version of `subject`, deleted or not, oldest first.
pub fn versions(conn: &mut PgConnection, subject: &str) -> Stored<Vec<VersionRow>> {
    Ok(subject_versions::table
        .filter(subject_versions::subject.eq(subject))
        .order(subject_versions::version.asc())
        .select((subject_versions::version, subject_versions::deleted))
        .load(conn)?)
}

/// The schema id and text of one version of `subject`.
pub fn schema_of_version(
    conn: &mut PgConnection,
    subject: &str,
    version: i32,
) -> Stored<Option<(i32, String)>> {
    Ok(subject_versions::table
        .inner_join(schemas::table)
        .filter(subject_versions::subject.eq(subject))
        .filter(subject_versions::version.eq(version))
        .select((schemas::id, schemas::schema_text))
        .first(conn)
        .optional()?)
}

/// The live versions of `subject` with their schema text, oldest first.
pub fn live_history(conn: &mut PgConnection, subject: &str) -> Stored<Vec<(i32, String)>> {
    Ok(subject_versions::table
        .inner_join(schemas::table)
        .filter(subject_versions::subject.eq(subject))
        .filter(subject_versions::deleted.eq(false))
        .order(subject_versions::version.asc())
        .select((subject_versions::version, schemas::schema_text))
        .load(conn)?)
}

/// Marks one version, or every version of the subject when `version` is
/// None, as soft-deleted.
pub fn mark_deleted(conn: &mut PgConnection, subject: &str, version: Option<i32>) -> Stored<()> {
    let in_subject = subject_versions::table.filter(subject_versions::subject.eq(subject));
    match version {
        Some(v) => diesel::update(in_subject.filter(subject_versions::version.eq(v)))
            .set(subject_versions::deleted.eq(true))
            .execute(conn)?,
        None => diesel::update(in_subject).set(subject_versions::deleted.eq(true)).execute(conn)?,
    };
    Ok(())
}

/// Removes the rows of one version, or of every version of the subject.
pub fn remove_versions(conn: &mut PgConnection, subject: &str, version: Option<i32>) -> Stored<()> {
    let in_subject = subject_versions::table.filter(subject_versions::subject.eq(subject));
    match version {
        Some(v) => {
            diesel::delete(in_subject.filter(subject_versions::version.eq(v))).execute(conn)?
        }
        None => diesel::delete(in_subject).execute(conn)?,
    };
    Ok(())
}
