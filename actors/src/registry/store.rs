//! The registry's storage, in the PostgreSQL schema `registry`, through Diesel.
//! Every function runs on a blocking thread with a pooled connection.

use super::{NormalizedSchema, RegistryError};
use crate::db::schema::{schemas, subject_versions};
use diesel::dsl::max;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

diesel::define_sql_function!(fn md5(text: Text) -> Text);
diesel::define_sql_function!(fn pg_advisory_xact_lock(key: diesel::sql_types::BigInt));
diesel::define_sql_function!(fn hashtextextended(text: Text, seed: diesel::sql_types::BigInt) -> diesel::sql_types::BigInt);

/// Which version of a subject a request names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionSelector {
    Latest,
    Number(i32),
}

impl VersionSelector {
    /// Parses `latest`, `-1` (Confluent's alias for it) or a positive number.
    pub fn parse(raw: &str) -> Result<Self, RegistryError> {
        match raw {
            "latest" | "-1" => Ok(VersionSelector::Latest),
            _ => match raw.parse::<i32>() {
                Ok(n) if n > 0 => Ok(VersionSelector::Number(n)),
                _ => Err(RegistryError::InvalidVersion(raw.to_owned())),
            },
        }
    }
}

/// One live version of a subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectVersion {
    pub subject: String,
    pub version: i32,
    pub id: i32,
    pub schema: NormalizedSchema,
}

/// Registers `schema` under `subject`: the existing id if the subject
/// already holds it, else a new version. Serialized per subject.
pub fn register(conn: &mut PgConnection, subject: &str, schema: &NormalizedSchema) -> Result<i32, RegistryError> {
    conn.transaction(|conn| {
        diesel::select(pg_advisory_xact_lock(hashtextextended(format!("registry:{subject}"), 0)))
            .execute(conn)?;
        if let Some(existing) = live_version_of(conn, subject, schema)? {
            return Ok(existing.id);
        }
        let id = schema_id_for(conn, schema)?;
        let last: Option<i32> = subject_versions::table
            .filter(subject_versions::subject.eq(subject))
            .select(max(subject_versions::version))
            .first(conn)?;
        diesel::insert_into(subject_versions::table)
            .values((
                subject_versions::subject.eq(subject),
                subject_versions::version.eq(last.unwrap_or(0) + 1),
                subject_versions::schema_id.eq(id),
            ))
            .execute(conn)?;
        Ok(id)
    })
}

/// The id of `schema`, inserting it if it was never seen.
fn schema_id_for(conn: &mut PgConnection, schema: &NormalizedSchema) -> Result<i32, RegistryError> {
    diesel::insert_into(schemas::table)
        .values((schemas::schema_text.eq(schema.text()), schemas::fingerprint.eq(md5(schema.text()))))
        .on_conflict((schemas::schema_type, schemas::fingerprint))
        .do_nothing()
        .execute(conn)?;
    Ok(schemas::table
        .filter(schemas::schema_type.eq("AVRO"))
        .filter(schemas::fingerprint.eq(md5(schema.text())))
        .select(schemas::id)
        .first(conn)?)
}

fn live_version_of(
    conn: &mut PgConnection,
    subject: &str,
    schema: &NormalizedSchema,
) -> Result<Option<SubjectVersion>, RegistryError> {
    let row: Option<(i32, i32)> = subject_versions::table
        .inner_join(schemas::table)
        .filter(subject_versions::subject.eq(subject))
        .filter(subject_versions::deleted.eq(false))
        .filter(schemas::fingerprint.eq(md5(schema.text())))
        .order(subject_versions::version.asc())
        .select((subject_versions::version, schemas::id))
        .first(conn)
        .optional()?;
    Ok(row.map(|(version, id)| SubjectVersion { subject: subject.to_owned(), version, id, schema: schema.clone() }))
}

pub fn schema_by_id(conn: &mut PgConnection, id: i32) -> Result<NormalizedSchema, RegistryError> {
    schemas::table
        .find(id)
        .select(schemas::schema_text)
        .first::<String>(conn)
        .optional()?
        .map(NormalizedSchema::from_stored)
        .ok_or(RegistryError::SchemaIdNotFound(id))
}

/// The (subject, version) pairs that use schema `id`.
pub fn versions_of_schema(conn: &mut PgConnection, id: i32) -> Result<Vec<(String, i32)>, RegistryError> {
    schema_by_id(conn, id)?;
    Ok(subject_versions::table
        .filter(subject_versions::schema_id.eq(id))
        .filter(subject_versions::deleted.eq(false))
        .order((subject_versions::subject.asc(), subject_versions::version.asc()))
        .select((subject_versions::subject, subject_versions::version))
        .load(conn)?)
}

/// Subjects with at least one live version, sorted.
pub fn subjects(conn: &mut PgConnection) -> Result<Vec<String>, RegistryError> {
    Ok(subject_versions::table
        .filter(subject_versions::deleted.eq(false))
        .select(subject_versions::subject)
        .distinct()
        .order(subject_versions::subject.asc())
        .load(conn)?)
}

/// The live versions of `subject`, ascending; 40401 if it has none.
pub fn versions(conn: &mut PgConnection, subject: &str) -> Result<Vec<i32>, RegistryError> {
    let versions: Vec<i32> = subject_versions::table
        .filter(subject_versions::subject.eq(subject))
        .filter(subject_versions::deleted.eq(false))
        .order(subject_versions::version.asc())
        .select(subject_versions::version)
        .load(conn)?;
    if versions.is_empty() {
        return Err(RegistryError::SubjectNotFound(subject.to_owned()));
    }
    Ok(versions)
}

pub fn version(
    conn: &mut PgConnection,
    subject: &str,
    selector: VersionSelector,
) -> Result<SubjectVersion, RegistryError> {
    let live = versions(conn, subject)?;
    let wanted = match selector {
        VersionSelector::Latest => *live.last().expect("versions() never returns an empty list"),
        VersionSelector::Number(n) if live.contains(&n) => n,
        VersionSelector::Number(n) => {
            return Err(RegistryError::VersionNotFound { subject: subject.to_owned(), version: n })
        }
    };
    let (id, text): (i32, String) = subject_versions::table
        .inner_join(schemas::table)
        .filter(subject_versions::subject.eq(subject))
        .filter(subject_versions::version.eq(wanted))
        .select((schemas::id, schemas::schema_text))
        .first(conn)?;
    Ok(SubjectVersion { subject: subject.to_owned(), version: wanted, id, schema: NormalizedSchema::from_stored(text) })
}

/// The live version of `subject` that holds `schema`.
pub fn lookup(
    conn: &mut PgConnection,
    subject: &str,
    schema: &NormalizedSchema,
) -> Result<SubjectVersion, RegistryError> {
    versions(conn, subject)?;
    live_version_of(conn, subject, schema)?.ok_or_else(|| RegistryError::SchemaNotRegistered(subject.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::VersionSelector;

    #[test]
    fn versions_are_latest_minus_one_or_positive_numbers() {
        assert_eq!(VersionSelector::parse("latest").unwrap(), VersionSelector::Latest);
        assert_eq!(VersionSelector::parse("-1").unwrap(), VersionSelector::Latest);
        assert_eq!(VersionSelector::parse("3").unwrap(), VersionSelector::Number(3));
        for bad in ["0", "-2", "two", "99999999999"] {
            assert_eq!(VersionSelector::parse(bad).unwrap_err().code(), 42202, "{bad}");
        }
    }
}
