//! The registry's HTTP server (actix-web): Confluent's routes for
//! registering, looking up, listing, checking, configuring and deleting
//! schemas. Responses use Confluent's media type and error bodies
//! ([`error`]), so Confluent's own clients work unchanged. Handlers parse the
//! request, call the service on a blocking thread, and shape the answer.
//! Around them: optional basic authentication ([`auth`]) and a limit on
//! body sizes ([`limits`]), set by [`ServerSettings`].

mod auth;
mod error;
mod handlers;
mod limits;
mod requests;

pub use error::ApiError;
pub use limits::DEFAULT_MAX_BODY_BYTES;

use crate::service::Registry;
use crate::BasicAuth;
use actix_web::dev::Server;
use actix_web::middleware::{from_fn, Condition, Logger};
use actix_web::{web, App, HttpServer};
use handlers::*;
use std::net::TcpListener;
use superstore_database::PgPool;

/// How the server guards itself.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// Credentials every request must carry; None serves without authentication.
    pub basic_auth: Option<BasicAuth>,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings { basic_auth: None, max_body_bytes: DEFAULT_MAX_BODY_BYTES }
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
/// authentication). Await it to serve.
pub fn serve(listener: TcpListener, pool: PgPool) -> std::io::Result<Server> {
    serve_with(listener, pool, ServerSettings::default())
}

/// A server on `listener` backed by `pool`, guarded as `settings` say.
pub fn serve_with(
    listener: TcpListener,
    pool: PgPool,
    settings: ServerSettings,
) -> std::io::Result<Server> {
    let registry = web::Data::new(Registry::new(pool));
    let credentials = settings.basic_auth.map(web::Data::new);
    let limit = settings.max_body_bytes;
    Ok(HttpServer::new(move || {
        let mut app = App::new().app_data(registry.clone());
        if let Some(credentials) = &credentials {
            app = app.app_data(credentials.clone());
        }
        app.app_data(web::PathConfig::default().error_handler(path_error))
            .app_data(limits::body_limit(limit))
            .wrap(limits::too_large_as_api_error(limit))
            .wrap(Condition::new(credentials.is_some(), from_fn(auth::require_credentials)))
            .wrap(Logger::new("%a \"%r\" %s %T").log_target("superstore::registry::http"))
            .configure(routes)
            .default_service(web::to(no_route))
    })
    .workers(2)
    .listen(listener)?
    .run())
}
