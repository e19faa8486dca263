//! The registry's HTTP server (actix-web): Confluent's routes for
//! registering, looking up, listing, checking, configuring and deleting
//! schemas. Responses use Confluent's media type and error bodies
//! ([`error`]), so Confluent's own clients work unchanged. Handlers parse the
//! request, call the service on a blocking thread, and shape the answer.
//! Around them: optional basic authentication ([`auth`]), a limit on body
//! sizes ([`limits`]), both set by [`ServerSettings`], and a count of every
//! request with `/metrics` served beside the API ([`metrics`]).

mod api_error;
mod auth;
mod handlers;
mod limits;
pub mod metrics;
mod requests;
mod server_tls;

pub(crate) use api_error::ApiError;
pub use limits::DEFAULT_MAX_BODY_BYTES;
pub use metrics::MetricsPage;
pub use server_tls::{ServerTls, ServerTlsError};

use crate::service::Registry;
use crate::BasicAuth;
use actix_web::dev::Server;
use actix_web::middleware::{from_fn, Condition, Logger};
use actix_web::{web, App, HttpServer};
use handlers::*;
use std::net::TcpListener;
use superstore_database::PgPool;

/// How the server guards and instruments itself.
#[derive(Clone)]
pub struct ServerSettings {
    /// Credentials every request must carry; None serves without authentication.
    pub basic_auth: Option<BasicAuth>,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Renders `/metrics`; None serves no metrics page.
    pub metrics_page: Option<MetricsPage>,
    /// HTTPS; None serves plain HTTP.
    pub tls: Option<ServerTls>,
}

impl std::fmt::Debug for ServerSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerSettings")
            .field("basic_auth", &self.basic_auth)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("metrics_page", &self.metrics_page.is_some())
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            basic_auth: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            metrics_page: None,
            tls: None,
        }
    }
}

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

/// A server on `listener` backed by `pool`, with the default settings (no
/// authentication, no `/metrics`). Await it to serve.
pub fn serve(listener: TcpListener, pool: PgPool) -> std::io::Result<Server> {
    serve_with(listener, pool, ServerSettings::default())
}

/// A server on `listener` backed by `pool`, guarded and instrumented as
/// `settings` say.
pub fn serve_with(
    listener: TcpListener,
    pool: PgPool,
    settings: ServerSettings,
) -> std::io::Result<Server> {
    let registry = web::Data::new(Registry::new(pool));
    let credentials = settings.basic_auth.map(web::Data::new);
    let limit = settings.max_body_bytes;
    let metrics_page = settings.metrics_page;
    metrics::describe();
    let server = HttpServer::new(move || {
        let mut app = App::new().app_data(registry.clone());
        if let Some(credentials) = &credentials {
            app = app.app_data(credentials.clone());
        }
        if let Some(page) = &metrics_page {
            let page = web::Data::new(page.clone());
            app = app.app_data(page).route("/metrics", web::get().to(metrics::metrics_page));
        }
        app.app_data(web::PathConfig::default().error_handler(path_error))
            .app_data(limits::body_limit(limit))
            .wrap(limits::too_large_as_api_error(limit))
            .wrap(Condition::new(credentials.is_some(), from_fn(auth::require_credentials)))
            .wrap(Logger::new("%a \"%r\" %s %T").log_target("superstore::registry::http"))
            // Outermost, so that refused requests (401, 413) are counted too.
            .wrap(from_fn(metrics::count_request))
            .configure(routes)
            .default_service(web::to(no_route))
    })
    .workers(2);
    Ok(match settings.tls {
        None => server.listen(listener)?.run(),
        Some(tls) => server.listen_rustls_0_23(listener, (*tls.config).clone())?.run(),
    })
}
