//! What the registry's rules refuse, in the registry's own words. Which
//! HTTP status and Confluent error code each one becomes is decided once,
//! by the HTTP layer.

use crate::repository::RepositoryError;
use crate::schema_text::InvalidSchema;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("Subject '{0}' not found.")]
    SubjectNotFound(String),
    #[error("Version {version} not found in subject '{subject}'.")]
    VersionNotFound { subject: String, version: i32 },
    #[error("Schema {0} not found.")]
    SchemaIdNotFound(i32),
    #[error("Schema not found in subject '{0}'.")]
    SchemaNotRegistered(String),
    #[error("Invalid schema: {0}")]
    InvalidSchema(String),
    #[error(
        "The specified version '{0}' is not a valid version id. \
         Allowed values are between [1, 2^31-1] and the string \"latest\""
    )]
    InvalidVersion(String),
    #[error("Subject '{0}' was soft deleted. Set permanent=true to delete permanently")]
    SubjectSoftDeleted(String),
    #[error("Subject '{0}' was not deleted first before being permanently deleted")]
    SubjectNotSoftDeleted(String),
    #[error(
        "Version {version} of subject '{subject}' was not deleted first \
         before being permanently deleted"
    )]
    VersionNotSoftDeleted { subject: String, version: i32 },
    #[error("Subject '{0}' does not have subject-level compatibility configured")]
    SubjectLevelNotConfigured(String),
    #[error(
        "Schema being registered is incompatible with an earlier schema for subject \
         \"{subject}\", details: [{}]",
        reasons.join("; ")
    )]
    Incompatible { subject: String, reasons: Vec<String> },
    #[error("{0}")]
    InvalidCompatibilityLevel(String),
    #[error("Error in the backend data store: {0}")]
    Store(String),
}

impl From<RepositoryError> for RegistryError {
    fn from(err: RepositoryError) -> Self {
        RegistryError::Store(err.to_string())
    }
}

impl From<diesel::result::Error> for RegistryError {
    fn from(err: diesel::result::Error) -> Self {
        RepositoryError::from(err).into()
    }
}

impl From<InvalidSchema> for RegistryError {
    fn from(InvalidSchema(why): InvalidSchema) -> Self {
        RegistryError::InvalidSchema(why)
    }
}
