//! The registry's rules, between HTTP above and storage below: an identical
//! schema keeps its id, a new version must pass the subject's compatibility
//! level (checked once, in [`Registry::verdict`], for registration and for
//! the compatibility endpoint alike), version numbers are never reused, and
//! deletes are soft before they are permanent.
//!
//! Every method is blocking (Diesel): the HTTP layer runs them off its
//! async threads.

mod compatibility_levels;
mod deletes;
mod registry_error;

pub use registry_error::RegistryError;

use crate::compatibility::{incompatibilities, Version};
use crate::repository as repo;
use crate::NormalizedSchema;
use diesel::pg::PgConnection;
use diesel::Connection;
use superstore_database::PgPool;

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

/// The registry, over its PostgreSQL storage.
#[derive(Clone)]
pub struct Registry {
    pool: PgPool,
}

type Outcome<T> = Result<T, RegistryError>;

impl Registry {
    pub fn new(pool: PgPool) -> Self {
        Registry { pool }
    }

    fn with_conn<T>(&self, work: impl FnOnce(&mut PgConnection) -> Outcome<T>) -> Outcome<T> {
        let mut conn = self.pool.get().map_err(repo::RepositoryError::from)?;
        work(&mut conn)
    }

    /// Registers `schema` under `subject`: the existing id if a live version
    /// already holds it, else a new version once the level allows it.
    /// Serialized per subject.
    pub fn register(&self, subject: &str, schema: &NormalizedSchema) -> Outcome<i32> {
        self.with_conn(|conn| {
            conn.transaction(|conn| {
                repo::lock_subject(conn, subject)?;
                if let Some((_, id)) = repo::live_version_with_text(conn, subject, schema.text())? {
                    return Ok(id);
                }
                let reasons = verdict(conn, subject, schema, None, false)?;
                if !reasons.is_empty() {
                    return Err(RegistryError::Incompatible {
                        subject: subject.to_owned(),
                        reasons,
                    });
                }
                let id = repo::schema_id_for(conn, schema.text())?;
                repo::append_version(conn, subject, id)?;
                Ok(id)
            })
        })
    }

    /// Why `schema` could not follow `subject` under its level: against the
    /// live history (`latest`, as registration does) or one version.
    pub fn check_compatibility(
        &self,
        subject: &str,
        selector: Option<VersionSelector>,
        schema: &NormalizedSchema,
    ) -> Outcome<Vec<String>> {
        self.with_conn(|conn| verdict(conn, subject, schema, selector, true))
    }

    /// The live version of `subject` that holds `schema`.
    pub fn lookup(&self, subject: &str, schema: &NormalizedSchema) -> Outcome<SubjectVersion> {
        self.with_conn(|conn| {
            live_versions(conn, subject)?;
            let (version, id) = repo::live_version_with_text(conn, subject, schema.text())?
                .ok_or_else(|| RegistryError::SchemaNotRegistered(subject.to_owned()))?;
            let subject = subject.to_owned();
            Ok(SubjectVersion { subject, version, id, schema: schema.clone() })
        })
    }

    pub fn schema_by_id(&self, id: i32) -> Outcome<NormalizedSchema> {
        self.with_conn(|conn| schema_by_id(conn, id))
    }

    /// The live (subject, version) pairs that use schema `id`.
    pub fn versions_of_schema(&self, id: i32) -> Outcome<Vec<(String, i32)>> {
        self.with_conn(|conn| {
            schema_by_id(conn, id)?;
            Ok(repo::live_uses_of_schema(conn, id)?)
        })
    }

    /// Subjects with at least one live version, sorted.
    pub fn subjects(&self) -> Outcome<Vec<String>> {
        self.with_conn(|conn| Ok(repo::live_subjects(conn)?))
    }

    /// The live versions of `subject`, ascending.
    pub fn versions(&self, subject: &str) -> Outcome<Vec<i32>> {
        self.with_conn(|conn| live_versions(conn, subject))
    }

    pub fn version(&self, subject: &str, selector: VersionSelector) -> Outcome<SubjectVersion> {
        self.with_conn(|conn| {
            let live = live_versions(conn, subject)?;
            let wanted = match selector {
                VersionSelector::Latest => *live.last().expect("live_versions is never empty"),
                VersionSelector::Number(n) if live.contains(&n) => n,
                VersionSelector::Number(n) => return Err(version_not_found(subject, n)),
            };
            let (id, text) = repo::schema_of_version(conn, subject, wanted)?
                .ok_or_else(|| version_not_found(subject, wanted))?;
            let schema = NormalizedSchema::from_stored(text);
            Ok(SubjectVersion { subject: subject.to_owned(), version: wanted, id, schema })
        })
    }
}

fn version_not_found(subject: &str, version: i32) -> RegistryError {
    RegistryError::VersionNotFound { subject: subject.to_owned(), version }
}

fn schema_by_id(conn: &mut PgConnection, id: i32) -> Outcome<NormalizedSchema> {
    repo::schema_text(conn, id)?
        .map(NormalizedSchema::from_stored)
        .ok_or(RegistryError::SchemaIdNotFound(id))
}

/// The live versions of `subject`, ascending; 40401 if it has none.
fn live_versions(conn: &mut PgConnection, subject: &str) -> Outcome<Vec<i32>> {
    let live: Vec<i32> =
        repo::versions(conn, subject)?.into_iter().filter(|(_, d)| !d).map(|(v, _)| v).collect();
    if live.is_empty() {
        return Err(RegistryError::SubjectNotFound(subject.to_owned()));
    }
    Ok(live)
}

/// The one compatibility step: why `schema` may not follow `subject`'s
/// live versions (or the one `selector` names) under the subject's level.
/// An empty subject accepts anything on registration; the check endpoint
/// (`must_exist`) answers 40401 for it, as Confluent does.
fn verdict(
    conn: &mut PgConnection,
    subject: &str,
    schema: &NormalizedSchema,
    selector: Option<VersionSelector>,
    must_exist: bool,
) -> Outcome<Vec<String>> {
    let level = compatibility_levels::effective_level(conn, subject)?;
    let history = repo::live_history(conn, subject)?;
    if history.is_empty() && must_exist {
        return Err(RegistryError::SubjectNotFound(subject.to_owned()));
    }
    let against: Vec<(i32, String)> = match selector {
        None | Some(VersionSelector::Latest) => history,
        Some(VersionSelector::Number(n)) => match history.into_iter().find(|(v, _)| *v == n) {
            Some(found) => vec![found],
            None => return Err(version_not_found(subject, n)),
        },
    };
    let versions: Vec<Version<'_>> =
        against.iter().map(|(number, text)| Version { number: *number, text }).collect();
    Ok(incompatibilities(level, schema.text(), &versions))
}
