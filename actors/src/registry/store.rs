//! The registry's storage, in the PostgreSQL schema `registry`, through Diesel.
//! Every function runs on a blocking thread with a pooled connection.

use super::compatibility::{incompatibilities, CompatibilityLevel, Version};
use super::{NormalizedSchema, RegistryError};
use crate::db::schema::{config, schemas, subject_versions};
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
        let level = effective_level(conn, subject)?;
        let history = live_history(conn, subject)?;
        let versions: Vec<Version<'_>> = history.iter().map(|(number, text)| Version { number: *number, text }).collect();
        let reasons = incompatibilities(level, schema.text(), &versions);
        if !reasons.is_empty() {
            return Err(RegistryError::Incompatible { subject: subject.to_owned(), reasons });
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
    let live: Vec<i32> = all_versions(conn, subject)?.into_iter().filter(|(_, deleted)| !deleted).map(|(v, _)| v).collect();
    if live.is_empty() {
        return Err(RegistryError::SubjectNotFound(subject.to_owned()));
    }
    Ok(live)
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

/// The live versions of `subject` with their schema text, oldest first.
fn live_history(conn: &mut PgConnection, subject: &str) -> Result<Vec<(i32, String)>, RegistryError> {
    Ok(subject_versions::table
        .inner_join(schemas::table)
        .filter(subject_versions::subject.eq(subject))
        .filter(subject_versions::deleted.eq(false))
        .order(subject_versions::version.asc())
        .select((subject_versions::version, schemas::schema_text))
        .load(conn)?)
}

/// Where the global level is stored (no Confluent subject is empty).
const GLOBAL: &str = "";

fn stored_level(conn: &mut PgConnection, scope: &str) -> Result<Option<CompatibilityLevel>, RegistryError> {
    let raw: Option<String> = config::table
        .find(scope)
        .select(config::compatibility_level)
        .first(conn)
        .optional()?;
    raw.map(|r| r.parse().map_err(RegistryError::Store)).transpose()
}

/// The global level; BACKWARD until someone sets another.
pub fn global_level(conn: &mut PgConnection) -> Result<CompatibilityLevel, RegistryError> {
    Ok(stored_level(conn, GLOBAL)?.unwrap_or(CompatibilityLevel::Backward))
}

/// The level of `subject` itself, if it has one.
pub fn subject_level(conn: &mut PgConnection, subject: &str) -> Result<Option<CompatibilityLevel>, RegistryError> {
    stored_level(conn, subject)
}

/// The level that applies to `subject`: its own, else the global one.
pub fn effective_level(conn: &mut PgConnection, subject: &str) -> Result<CompatibilityLevel, RegistryError> {
    match subject_level(conn, subject)? {
        Some(level) => Ok(level),
        None => global_level(conn),
    }
}

/// Sets the level of `subject`, or the global one when None.
pub fn set_level(conn: &mut PgConnection, subject: Option<&str>, level: CompatibilityLevel) -> Result<(), RegistryError> {
    diesel::insert_into(config::table)
        .values((config::subject.eq(subject.unwrap_or(GLOBAL)), config::compatibility_level.eq(level.as_str())))
        .on_conflict(config::subject)
        .do_update()
        .set((config::compatibility_level.eq(level.as_str()), config::updated_at.eq(diesel::dsl::now)))
        .execute(conn)?;
    Ok(())
}

/// Removes the level of `subject`, returning it.
pub fn delete_level(conn: &mut PgConnection, subject: &str) -> Result<CompatibilityLevel, RegistryError> {
    let previous = subject_level(conn, subject)?.ok_or_else(|| RegistryError::SubjectLevelNotConfigured(subject.to_owned()))?;
    diesel::delete(config::table.find(subject)).execute(conn)?;
    Ok(previous)
}

/// Why `schema` could not follow `subject`'s versions under its level: against
/// version `selector` (`latest` applies the level as registration does).
pub fn check_compatibility(
    conn: &mut PgConnection,
    subject: &str,
    selector: Option<VersionSelector>,
    schema: &NormalizedSchema,
) -> Result<Vec<String>, RegistryError> {
    let level = effective_level(conn, subject)?;
    let history = live_history(conn, subject)?;
    if history.is_empty() {
        return Err(RegistryError::SubjectNotFound(subject.to_owned()));
    }
    let against: Vec<(i32, String)> = match selector {
        None | Some(VersionSelector::Latest) => history,
        Some(VersionSelector::Number(n)) => match history.into_iter().find(|(v, _)| *v == n) {
            Some(found) => vec![found],
            None => return Err(RegistryError::VersionNotFound { subject: subject.to_owned(), version: n }),
        },
    };
    let versions: Vec<Version<'_>> = against.iter().map(|(number, text)| Version { number: *number, text }).collect();
    Ok(incompatibilities(level, schema.text(), &versions))
}

/// Every version of `subject`, deleted or not, as (version, deleted); 40401 if none.
fn all_versions(conn: &mut PgConnection, subject: &str) -> Result<Vec<(i32, bool)>, RegistryError> {
    let rows: Vec<(i32, bool)> = subject_versions::table
        .filter(subject_versions::subject.eq(subject))
        .order(subject_versions::version.asc())
        .select((subject_versions::version, subject_versions::deleted))
        .load(conn)?;
    if rows.is_empty() {
        return Err(RegistryError::SubjectNotFound(subject.to_owned()));
    }
    Ok(rows)
}

/// Deletes one version: soft (hidden, its number never reused), or
/// permanently once soft-deleted. Returns the version number.
pub fn delete_version(
    conn: &mut PgConnection,
    subject: &str,
    selector: VersionSelector,
    permanent: bool,
) -> Result<i32, RegistryError> {
    conn.transaction(|conn| {
        let rows = all_versions(conn, subject)?;
        let wanted = match selector {
            VersionSelector::Number(n) => rows.iter().find(|(v, _)| *v == n).copied(),
            VersionSelector::Latest => rows.iter().rev().find(|(_, deleted)| !deleted).copied(),
        };
        let not_found = || RegistryError::VersionNotFound {
            subject: subject.to_owned(),
            version: match selector {
                VersionSelector::Number(n) => n,
                VersionSelector::Latest => -1,
            },
        };
        let (version, deleted) = wanted.ok_or_else(not_found)?;
        let row = subject_versions::table.find((subject, version));
        match (permanent, deleted) {
            (false, true) => Err(not_found()),
            (false, false) => {
                diesel::update(row).set(subject_versions::deleted.eq(true)).execute(conn)?;
                Ok(version)
            }
            (true, false) => Err(RegistryError::VersionNotSoftDeleted { subject: subject.to_owned(), version }),
            (true, true) => {
                diesel::delete(row).execute(conn)?;
                Ok(version)
            }
        }
    })
}

/// Deletes a subject: soft (every live version), or permanently once every
/// version is soft-deleted. Returns the versions deleted.
pub fn delete_subject(conn: &mut PgConnection, subject: &str, permanent: bool) -> Result<Vec<i32>, RegistryError> {
    conn.transaction(|conn| {
        let rows = all_versions(conn, subject)?;
        let live: Vec<i32> = rows.iter().filter(|(_, d)| !d).map(|(v, _)| *v).collect();
        let in_subject = subject_versions::table.filter(subject_versions::subject.eq(subject));
        if permanent {
            if !live.is_empty() {
                return Err(RegistryError::SubjectNotSoftDeleted(subject.to_owned()));
            }
            diesel::delete(in_subject).execute(conn)?;
            diesel::delete(config::table.find(subject)).execute(conn)?;
            return Ok(rows.into_iter().map(|(v, _)| v).collect());
        }
        if live.is_empty() {
            return Err(RegistryError::SubjectSoftDeleted(subject.to_owned()));
        }
        diesel::update(in_subject).set(subject_versions::deleted.eq(true)).execute(conn)?;
        Ok(live)
    })
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
