//! The registry's HTTP server (actix-web): Confluent's routes for
//! registering, looking up, listing, checking, configuring and deleting
//! schemas. Responses use Confluent's media type and error bodies
//! ([`error`]), so Confluent's own clients work unchanged. Handlers parse the
//! request, call the service on a blocking thread, and shape the answer.
//! Every request is counted, and `/metrics` is served beside the API
//! ([`metrics`]).

mod error;
mod handlers;
pub mod metrics;
mod requests;

pub use error::ApiError;
pub use metrics::MetricsPage;

use crate::service::Registry;
use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use handlers::*;
use std::net::TcpListener;
use superstore_database::PgPool;

/// Registers every route on `cfg`.
fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(root))
        .route("/schemas/types", web::get().to(schema_types))
        .route("/schemas/ids/{id}", web::get().to(schema_by_id))
        .route("/schemas/ids/{id}/versions", web::get().to(versions_of_schema))
        .route("/subjects", web::get().to(list_subjects))
        .route("/subjects/{subject}", web::post().to(lookup))
        .route("/subjects/{subject}", web::delete().to(delete_subject))
        .route("/subjects/{subject}/versions/{version}", web::delete().to(delete_version))
        .route(
            "/compatibility/subjects/{subject}/versions/{version}",
            web::post().to(check_compatibility),
        )
        .route(
            "/compatibility/subjects/{subject}/versions",
            web::post().to(check_compatibility_all),
        )
        .route("/config", web::get().to(get_global_config))
        .route("/config", web::put().to(put_global_config))
        .route("/config/{subject}", web::get().to(get_subject_config))
        .route("/config/{subject}", web::put().to(put_subject_config))
        .route("/config/{subject}", web::delete().to(delete_subject_config))
        .route("/subjects/{subject}/versions", web::get().to(list_versions))
        .route("/subjects/{subject}/versions", web::post().to(register))
        .route("/subjects/{subject}/versions/{version}", web::get().to(get_version))
        .route("/subjects/{subject}/versions/{version}/schema", web::get().to(get_version_schema));
}

/// A path that does not parse (`/schemas/ids/abc`) matches no resource, as in Confluent.
fn path_error(err: actix_web::error::PathError, req: &actix_web::HttpRequest) -> actix_web::Error {
    ApiError::NoRoute(format!("{} ({err})", req.path())).into()
}

/// A server on `listener` backed by `pool`, serving `/metrics` from
/// `metrics_page` when given. Await it to serve.
pub fn serve(
    listener: TcpListener,
    pool: PgPool,
    metrics_page: Option<MetricsPage>,
) -> std::io::Result<Server> {
    let registry = web::Data::new(Registry::new(pool));
    metrics::describe();
    Ok(HttpServer::new(move || {
        let mut app = App::new();
        if let Some(page) = &metrics_page {
            let page = web::Data::new(page.clone());
            app = app.app_data(page).route("/metrics", web::get().to(metrics::metrics_page));
        }
        app.app_data(registry.clone())
            .app_data(web::PathConfig::default().error_handler(path_error))
            .app_data(web::PayloadConfig::new(4 * 1024 * 1024))
            .wrap(
                actix_web::middleware::Logger::new("%a \"%r\" %s %T")
                    .log_target("superstore::registry::http"),
            )
            .wrap(actix_web::middleware::from_fn(metrics::count_request))
            .configure(routes)
            .default_service(web::to(no_route))
    })
    .workers(2)
    .listen(listener)?
    .run())
}
