//! Optional HTTP basic authentication of every request, as Confluent's
//! registry does it: when the server has credentials, a request without
//! them, or with others, is answered 401 with `WWW-Authenticate` and
//! Confluent's error body before any route runs (or any body is read).
//! `/metrics` is the one exception: it holds counts by route pattern and
//! status, never a schema or a subject, and Prometheus scrapes it without
//! credentials, as it does any exporter.

use super::ApiError;
use crate::BasicAuth;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::AUTHORIZATION;
use actix_web::middleware::Next;
use actix_web::web;

const METRICS_PATH: &str = "/metrics";

/// Lets the request through only with the credentials the server holds
/// (as `web::Data<BasicAuth>`; the middleware is not installed without).
pub(super) async fn require_credentials(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.path() == METRICS_PATH {
        return next.call(req).await;
    }
    let expected = req.app_data::<web::Data<BasicAuth>>();
    let presented = req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok());
    match (expected, presented) {
        (Some(expected), Some(header)) if expected.accepts(header) => next.call(req).await,
        _ => Err(ApiError::Unauthorized.into()),
    }
}
