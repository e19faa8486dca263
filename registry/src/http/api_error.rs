//! The one place where the registry's errors become HTTP: a status and
//! Confluent's error code, rendered as `{"error_code": N, "message": "..."}`.

use crate::service::RegistryError;
use crate::CONTENT_TYPE;
use actix_web::http::header::WWW_AUTHENTICATE;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

/// An error as the API answers it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// No route matches the request (or its path does not parse).
    #[error("HTTP 404 Not Found: {0}")]
    NoRoute(String),
    /// The server requires basic-auth credentials and the request lacks them.
    #[error(
        "Unauthorized: this registry requires HTTP basic authentication with valid credentials"
    )]
    Unauthorized,
    /// The request body is over the server's limit.
    #[error("Request body too large: the registry accepts bodies of at most {limit} bytes")]
    BodyTooLarge { limit: usize },
}

impl ApiError {
    /// The HTTP status and Confluent's error code.
    pub fn status_and_code(&self) -> (StatusCode, u32) {
        use RegistryError as E;
        let err = match self {
            Self::Registry(err) => err,
            Self::NoRoute(_) => return (StatusCode::NOT_FOUND, 404),
            Self::Unauthorized => return (StatusCode::UNAUTHORIZED, 401),
            Self::BodyTooLarge { .. } => return (StatusCode::PAYLOAD_TOO_LARGE, 413),
        };
        match err {
            E::SubjectNotFound(_) => (StatusCode::NOT_FOUND, 40401),
            E::VersionNotFound { .. } => (StatusCode::NOT_FOUND, 40402),
            E::SchemaIdNotFound(_) | E::SchemaNotRegistered(_) => (StatusCode::NOT_FOUND, 40403),
            E::SubjectSoftDeleted(_) => (StatusCode::NOT_FOUND, 40404),
            E::SubjectNotSoftDeleted(_) => (StatusCode::NOT_FOUND, 40405),
            E::VersionNotSoftDeleted { .. } => (StatusCode::NOT_FOUND, 40407),
            E::SubjectLevelNotConfigured(_) => (StatusCode::NOT_FOUND, 40408),
            E::Incompatible { .. } => (StatusCode::CONFLICT, 409),
            E::InvalidSchema(_) => (StatusCode::UNPROCESSABLE_ENTITY, 42201),
            E::InvalidVersion(_) => (StatusCode::UNPROCESSABLE_ENTITY, 42202),
            E::InvalidCompatibilityLevel(_) => (StatusCode::UNPROCESSABLE_ENTITY, 42203),
            E::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, 50001),
        }
    }

    /// Confluent's error code.
    pub fn code(&self) -> u32 {
        self.status_and_code().1
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status_and_code().0
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Registry(RegistryError::Store(detail)) = self {
            tracing::error!(%detail, "registry store error");
        }
        let mut answer = HttpResponse::build(self.status_code());
        if let Self::Unauthorized = self {
            answer.insert_header((WWW_AUTHENTICATE, r#"Basic realm="superstore-registry""#));
        }
        answer
            .content_type(CONTENT_TYPE)
            .json(json!({ "error_code": self.code(), "message": self.to_string() }))
    }
}

#[cfg(test)]
mod tests {
    use crate::http::ApiError;
    use crate::service::VersionSelector;
    use crate::NormalizedSchema;

    #[test]
    fn versions_are_latest_minus_one_or_positive_numbers() {
        assert_eq!(VersionSelector::parse("latest").unwrap(), VersionSelector::Latest);
        assert_eq!(VersionSelector::parse("-1").unwrap(), VersionSelector::Latest);
        assert_eq!(VersionSelector::parse("3").unwrap(), VersionSelector::Number(3));
        for bad in ["0", "-2", "two", "99999999999"] {
            let err = ApiError::from(VersionSelector::parse(bad).unwrap_err());
            assert_eq!(err.code(), 42202, "{bad}");
        }
    }

    #[test]
    fn json_that_is_not_avro_is_an_invalid_schema() {
        let err = NormalizedSchema::parse(r#"{"type": "record", "name": "A"}"#).unwrap_err();
        assert_eq!(ApiError::from(crate::service::RegistryError::from(err)).code(), 42201);
        let err = NormalizedSchema::parse("{not json").unwrap_err();
        assert_eq!(ApiError::from(crate::service::RegistryError::from(err)).code(), 42201);
    }
}
