//! The registry's errors, each with Confluent's error code and HTTP status,
//! rendered as `{"error_code": N, "message": "..."}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

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
    #[error("The specified version '{0}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"")]
    InvalidVersion(String),
    #[error("Subject '{0}' was soft deleted. Set permanent=true to delete permanently")]
    SubjectSoftDeleted(String),
    #[error("Subject '{0}' was not deleted first before being permanently deleted")]
    SubjectNotSoftDeleted(String),
    #[error("Version {version} of subject '{subject}' was not deleted first before being permanently deleted")]
    VersionNotSoftDeleted { subject: String, version: i32 },
    #[error("Subject '{0}' does not have subject-level compatibility configured")]
    SubjectLevelNotConfigured(String),
    #[error("Schema being registered is incompatible with an earlier schema for subject \"{subject}\", details: [{}]", reasons.join("; "))]
    Incompatible { subject: String, reasons: Vec<String> },
    #[error("{0}")]
    InvalidCompatibilityLevel(String),
    #[error("HTTP 404 Not Found: {0}")]
    NotFound(String),
    #[error("Error in the backend data store: {0}")]
    Store(String),
}

impl RegistryError {
    /// Confluent's error code.
    pub fn code(&self) -> u32 {
        match self {
            RegistryError::SubjectNotFound(_) => 40401,
            RegistryError::VersionNotFound { .. } => 40402,
            RegistryError::SchemaIdNotFound(_) | RegistryError::SchemaNotRegistered(_) => 40403,
            RegistryError::InvalidSchema(_) => 42201,
            RegistryError::InvalidVersion(_) => 42202,
            RegistryError::InvalidCompatibilityLevel(_) => 42203,
            RegistryError::SubjectSoftDeleted(_) => 40404,
            RegistryError::SubjectNotSoftDeleted(_) => 40405,
            RegistryError::VersionNotSoftDeleted { .. } => 40407,
            RegistryError::SubjectLevelNotConfigured(_) => 40408,
            RegistryError::Incompatible { .. } => 409,
            RegistryError::NotFound(_) => 404,
            RegistryError::Store(_) => 50001,
        }
    }
}

impl ResponseError for RegistryError {
    fn status_code(&self) -> StatusCode {
        match self.code() {
            404 | 40400..=40499 => StatusCode::NOT_FOUND,
            409 => StatusCode::CONFLICT,
            42200..=42299 => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let RegistryError::Store(detail) = self {
            tracing::error!(%detail, "registry store error");
        }
        HttpResponse::build(self.status_code())
            .content_type(super::CONTENT_TYPE)
            .json(json!({ "error_code": self.code(), "message": self.to_string() }))
    }
}

impl From<diesel::result::Error> for RegistryError {
    fn from(err: diesel::result::Error) -> Self {
        RegistryError::Store(err.to_string())
    }
}

impl From<r2d2::Error> for RegistryError {
    fn from(err: r2d2::Error) -> Self {
        RegistryError::Store(err.to_string())
    }
}
