//! The registry's metrics: every request counted by method, route pattern
//! and status in `superstore_registry_requests_total` (the route is the
//! pattern, `/subjects/{subject}/versions`, never the raw path, so subjects
//! do not become label values), and `/metrics` served on the registry's own
//! port. The recorder is installed by the binary; the page it renders is
//! handed in as a function, so this crate needs only the `metrics` facade.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{http::Method, web, HttpResponse};
use std::sync::Arc;

/// The name of the counter of the registry's HTTP requests, each counted
/// once its response is known.
pub const REQUESTS: &str = "superstore_registry_requests_total";
/// The labels of [`REQUESTS`], in the order they are recorded.
pub const REQUESTS_LABELS: [&str; 3] = ["method", "route", "status"];
/// The `# HELP` text of [`REQUESTS`].
pub const REQUESTS_HELP: &str = "Registry HTTP requests, by method, route and status";

/// Renders the Prometheus text exposition of the process's metrics.
pub type MetricsPage = Arc<dyn Fn() -> String + Send + Sync>;

/// The `route` label of a request that matched no route.
const UNMATCHED: &str = "unmatched";

pub(super) fn describe() {
    metrics::describe_counter!(REQUESTS, REQUESTS_HELP);
}

/// The method as a label: the methods of the API, anything else as `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Middleware: counts each request once its response is known.
pub(super) async fn count_request(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let method = method_label(request.method());
    let outcome = next.call(request).await;
    let (route, status) = match &outcome {
        Ok(response) => (
            response.request().match_pattern().unwrap_or_else(|| UNMATCHED.to_owned()),
            response.status(),
        ),
        Err(e) => (UNMATCHED.to_owned(), e.as_response_error().status_code()),
    };
    metrics::counter!(
        REQUESTS,
        "method" => method,
        "route" => route,
        "status" => status.as_str().to_owned()
    )
    .increment(1);
    outcome
}

/// `GET /metrics`.
pub(super) async fn metrics_page(page: web::Data<MetricsPage>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(page())
}
