//! The registry's HTTP server (actix-web): Confluent's routes for
//! registering, looking up and listing schemas. Responses use Confluent's
//! media type and error bodies, so Confluent's own clients work unchanged.

use super::compatibility::CompatibilityLevel;
use super::store::{self, VersionSelector};
use super::{NormalizedSchema, RegistryError, CONTENT_TYPE};
use crate::db::PgPool;
use actix_web::dev::Server;
use actix_web::{web, App, HttpResponse, HttpServer};
use serde::Deserialize;
use serde_json::json;
use std::net::TcpListener;

/// The body of a register or lookup request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SchemaRequest {
    schema: String,
    #[serde(default)]
    schema_type: Option<String>,
    #[serde(default)]
    references: Vec<serde_json::Value>,
}

impl SchemaRequest {
    /// Parses a body; any content type is accepted, as Confluent's server does.
    fn parse(body: &[u8]) -> Result<NormalizedSchema, RegistryError> {
        let request: SchemaRequest = serde_json::from_slice(body)
            .map_err(|e| RegistryError::InvalidSchema(format!("the request body is not a schema request: {e}")))?;
        match request.schema_type.as_deref() {
            None | Some("AVRO") => {}
            Some(other) => return Err(RegistryError::InvalidSchema(format!("schema type {other} is not supported; only AVRO is"))),
        }
        if !request.references.is_empty() {
            return Err(RegistryError::InvalidSchema("schema references are not supported".into()));
        }
        NormalizedSchema::parse(&request.schema)
    }
}

/// Runs `work` with a pooled connection on a blocking thread.
async fn with_conn<T, F>(pool: &web::Data<PgPool>, work: F) -> Result<T, RegistryError>
where
    T: Send + 'static,
    F: FnOnce(&mut diesel::PgConnection) -> Result<T, RegistryError> + Send + 'static,
{
    let pool = pool.clone();
    web::block(move || {
        let mut conn = pool.get()?;
        work(&mut conn)
    })
    .await
    .map_err(|e| RegistryError::Store(e.to_string()))?
}

fn ok(body: serde_json::Value) -> HttpResponse {
    HttpResponse::Ok().content_type(CONTENT_TYPE).json(body)
}

async fn root() -> HttpResponse {
    ok(json!({}))
}

async fn schema_types() -> HttpResponse {
    ok(json!(["AVRO"]))
}

async fn list_subjects(pool: web::Data<PgPool>) -> Result<HttpResponse, RegistryError> {
    let subjects = with_conn(&pool, store::subjects).await?;
    Ok(ok(json!(subjects)))
}

async fn list_versions(pool: web::Data<PgPool>, subject: web::Path<String>) -> Result<HttpResponse, RegistryError> {
    let subject = subject.into_inner();
    let versions = with_conn(&pool, move |c| store::versions(c, &subject)).await?;
    Ok(ok(json!(versions)))
}

async fn register(
    pool: web::Data<PgPool>,
    subject: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, RegistryError> {
    let schema = SchemaRequest::parse(&body)?;
    let subject = subject.into_inner();
    let id = with_conn(&pool, move |c| store::register(c, &subject, &schema)).await?;
    Ok(ok(json!({ "id": id })))
}

async fn lookup(
    pool: web::Data<PgPool>,
    subject: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, RegistryError> {
    let schema = SchemaRequest::parse(&body)?;
    let subject = subject.into_inner();
    let found = with_conn(&pool, move |c| store::lookup(c, &subject, &schema)).await?;
    Ok(ok(version_body(&found)))
}

async fn get_version(
    pool: web::Data<PgPool>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, RegistryError> {
    let (subject, raw_version) = path.into_inner();
    let selector = VersionSelector::parse(&raw_version)?;
    let found = with_conn(&pool, move |c| store::version(c, &subject, selector)).await?;
    Ok(ok(version_body(&found)))
}

async fn get_version_schema(
    pool: web::Data<PgPool>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, RegistryError> {
    let (subject, raw_version) = path.into_inner();
    let selector = VersionSelector::parse(&raw_version)?;
    let found = with_conn(&pool, move |c| store::version(c, &subject, selector)).await?;
    Ok(HttpResponse::Ok().content_type(CONTENT_TYPE).body(found.schema.text().to_owned()))
}

async fn schema_by_id(pool: web::Data<PgPool>, id: web::Path<i32>) -> Result<HttpResponse, RegistryError> {
    let id = id.into_inner();
    let schema = with_conn(&pool, move |c| store::schema_by_id(c, id)).await?;
    Ok(ok(json!({ "schema": schema.text() })))
}

async fn versions_of_schema(pool: web::Data<PgPool>, id: web::Path<i32>) -> Result<HttpResponse, RegistryError> {
    let id = id.into_inner();
    let pairs = with_conn(&pool, move |c| store::versions_of_schema(c, id)).await?;
    let body: Vec<_> = pairs.into_iter().map(|(subject, version)| json!({"subject": subject, "version": version})).collect();
    Ok(ok(json!(body)))
}

/// Query flags Confluent's clients send. Values are read leniently
/// (`true`, `True`, `TRUE`), as clients differ; unknown flags are ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(from = "std::collections::HashMap<String, String>")]
struct Flags {
    verbose: bool,
    permanent: bool,
    default_to_global: bool,
}

impl From<std::collections::HashMap<String, String>> for Flags {
    fn from(query: std::collections::HashMap<String, String>) -> Self {
        let flag = |name: &str| query.get(name).is_some_and(|v| v.eq_ignore_ascii_case("true"));
        Flags { verbose: flag("verbose"), permanent: flag("permanent"), default_to_global: flag("defaultToGlobal") }
    }
}

async fn check_compatibility(
    pool: web::Data<PgPool>,
    path: web::Path<(String, String)>,
    flags: web::Query<Flags>,
    body: web::Bytes,
) -> Result<HttpResponse, RegistryError> {
    let (subject, raw_version) = path.into_inner();
    let selector = VersionSelector::parse(&raw_version)?;
    compatibility_answer(pool, subject, Some(selector), flags.verbose, body).await
}

async fn check_compatibility_all(
    pool: web::Data<PgPool>,
    subject: web::Path<String>,
    flags: web::Query<Flags>,
    body: web::Bytes,
) -> Result<HttpResponse, RegistryError> {
    compatibility_answer(pool, subject.into_inner(), None, flags.verbose, body).await
}

async fn compatibility_answer(
    pool: web::Data<PgPool>,
    subject: String,
    selector: Option<VersionSelector>,
    verbose: bool,
    body: web::Bytes,
) -> Result<HttpResponse, RegistryError> {
    let schema = SchemaRequest::parse(&body)?;
    let reasons = with_conn(&pool, move |c| store::check_compatibility(c, &subject, selector, &schema)).await?;
    let mut answer = json!({ "is_compatible": reasons.is_empty() });
    if verbose {
        answer["messages"] = json!(reasons);
    }
    Ok(ok(answer))
}

/// The body of a config update.
#[derive(Debug, Deserialize)]
struct ConfigRequest {
    compatibility: String,
}

fn parse_level(body: &[u8]) -> Result<CompatibilityLevel, RegistryError> {
    let request: ConfigRequest = serde_json::from_slice(body)
        .map_err(|e| RegistryError::InvalidCompatibilityLevel(format!("the body is not a config update: {e}")))?;
    request.compatibility.parse().map_err(RegistryError::InvalidCompatibilityLevel)
}

async fn get_global_config(pool: web::Data<PgPool>) -> Result<HttpResponse, RegistryError> {
    let level = with_conn(&pool, store::global_level).await?;
    Ok(ok(json!({ "compatibilityLevel": level.as_str() })))
}

async fn put_global_config(pool: web::Data<PgPool>, body: web::Bytes) -> Result<HttpResponse, RegistryError> {
    let level = parse_level(&body)?;
    with_conn(&pool, move |c| store::set_level(c, None, level)).await?;
    Ok(ok(json!({ "compatibility": level.as_str() })))
}

async fn get_subject_config(
    pool: web::Data<PgPool>,
    subject: web::Path<String>,
    flags: web::Query<Flags>,
) -> Result<HttpResponse, RegistryError> {
    let subject = subject.into_inner();
    let default_to_global = flags.default_to_global;
    let level = with_conn(&pool, move |c| match store::subject_level(c, &subject)? {
        Some(level) => Ok(level),
        None if default_to_global => store::global_level(c),
        None => Err(RegistryError::SubjectLevelNotConfigured(subject)),
    })
    .await?;
    Ok(ok(json!({ "compatibilityLevel": level.as_str() })))
}

async fn put_subject_config(
    pool: web::Data<PgPool>,
    subject: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, RegistryError> {
    let level = parse_level(&body)?;
    let subject = subject.into_inner();
    with_conn(&pool, move |c| store::set_level(c, Some(&subject), level)).await?;
    Ok(ok(json!({ "compatibility": level.as_str() })))
}

async fn delete_subject_config(pool: web::Data<PgPool>, subject: web::Path<String>) -> Result<HttpResponse, RegistryError> {
    let subject = subject.into_inner();
    let previous = with_conn(&pool, move |c| store::delete_level(c, &subject)).await?;
    Ok(ok(json!({ "compatibilityLevel": previous.as_str() })))
}

async fn delete_subject(
    pool: web::Data<PgPool>,
    subject: web::Path<String>,
    flags: web::Query<Flags>,
) -> Result<HttpResponse, RegistryError> {
    let subject = subject.into_inner();
    let permanent = flags.permanent;
    let versions = with_conn(&pool, move |c| store::delete_subject(c, &subject, permanent)).await?;
    Ok(ok(json!(versions)))
}

async fn delete_version(
    pool: web::Data<PgPool>,
    path: web::Path<(String, String)>,
    flags: web::Query<Flags>,
) -> Result<HttpResponse, RegistryError> {
    let (subject, raw_version) = path.into_inner();
    let selector = VersionSelector::parse(&raw_version)?;
    let permanent = flags.permanent;
    let version = with_conn(&pool, move |c| store::delete_version(c, &subject, selector, permanent)).await?;
    Ok(ok(json!(version)))
}

fn version_body(found: &store::SubjectVersion) -> serde_json::Value {
    json!({
        "subject": found.subject,
        "version": found.version,
        "id": found.id,
        "schema": found.schema.text(),
    })
}

/// A path that does not parse (`/schemas/ids/abc`) matches no resource, as in Confluent.
fn path_error(err: actix_web::error::PathError, req: &actix_web::HttpRequest) -> actix_web::Error {
    RegistryError::NotFound(format!("{} ({err})", req.path())).into()
}

async fn no_route(req: actix_web::HttpRequest) -> Result<HttpResponse, RegistryError> {
    Err(RegistryError::NotFound(format!("{} {}", req.method(), req.path())))
}

/// Registers every route on `cfg`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(root))
        .route("/schemas/types", web::get().to(schema_types))
        .route("/schemas/ids/{id}", web::get().to(schema_by_id))
        .route("/schemas/ids/{id}/versions", web::get().to(versions_of_schema))
        .route("/subjects", web::get().to(list_subjects))
        .route("/subjects/{subject}", web::post().to(lookup))
        .route("/subjects/{subject}", web::delete().to(delete_subject))
        .route("/subjects/{subject}/versions/{version}", web::delete().to(delete_version))
        .route("/compatibility/subjects/{subject}/versions/{version}", web::post().to(check_compatibility))
        .route("/compatibility/subjects/{subject}/versions", web::post().to(check_compatibility_all))
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

/// A server on `listener` backed by `pool`. Await it to serve.
pub fn serve(listener: TcpListener, pool: PgPool) -> std::io::Result<Server> {
    let pool = web::Data::new(pool);
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(pool.clone())
            .app_data(web::PathConfig::default().error_handler(path_error))
            .app_data(web::PayloadConfig::new(4 * 1024 * 1024))
            .wrap(actix_web::middleware::Logger::new("%a \"%r\" %s %T").log_target("superstore::registry::http"))
            .configure(routes)
            .default_service(web::to(no_route))
    })
    .workers(2)
    .listen(listener)?
    .run())
}
