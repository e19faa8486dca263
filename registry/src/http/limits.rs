//! The size limit on request bodies (a schema in its JSON envelope). A body
//! over it is refused with 413 and Confluent's error body, without being
//! read whole, so one oversized request cannot make the registry buffer and
//! parse megabytes of JSON.

use super::ApiError;
use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{web, ResponseError};

/// The largest body accepted unless configured otherwise: 1 MiB, about
/// a hundred times the sale schema.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// Bodies read by the handlers stop at `limit` bytes.
pub(super) fn body_limit(limit: usize) -> web::PayloadConfig {
    web::PayloadConfig::new(limit)
}

/// Actix answers an oversized body with a bare 413; this gives it the API's
/// error body, naming the limit.
pub(super) fn too_large_as_api_error<B: MessageBody + 'static>(limit: usize) -> ErrorHandlers<B> {
    ErrorHandlers::new().handler(StatusCode::PAYLOAD_TOO_LARGE, move |res: ServiceResponse<B>| {
        let (req, _) = res.into_parts();
        let answer = ApiError::BodyTooLarge { limit }.error_response();
        Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, answer).map_into_right_body()))
    })
}
