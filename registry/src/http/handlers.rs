//! One handler per route: parse the request, call the service off the
//! async threads, shape the JSON answer.

use super::requests::{level_body, schema_body, Flags};
use super::ApiError;
use crate::service::{Registry, RegistryError, SubjectVersion, VersionSelector};
use crate::CONTENT_TYPE;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

type Answer = Result<HttpResponse, ApiError>;
type State = web::Data<Registry>;

/// Runs `work` against the service on a blocking thread.
async fn call<T, F>(registry: &State, work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Registry) -> Result<T, RegistryError> + Send + 'static,
{
    let registry = registry.clone();
    let outcome = web::block(move || work(&registry))
        .await
        .map_err(|e| RegistryError::Store(e.to_string()))?;
    Ok(outcome?)
}

fn ok(body: serde_json::Value) -> HttpResponse {
    HttpResponse::Ok().content_type(CONTENT_TYPE).json(body)
}

fn version_body(found: &SubjectVersion) -> serde_json::Value {
    json!({
        "subject": found.subject,
        "version": found.version,
        "id": found.id,
        "schema": found.schema.text(),
    })
}

pub async fn root() -> HttpResponse {
    ok(json!({}))
}

pub async fn schema_types() -> HttpResponse {
    ok(json!(["AVRO"]))
}

pub async fn no_route(req: HttpRequest) -> Answer {
    Err(ApiError::NoRoute(format!("{} {}", req.method(), req.path())))
}

pub async fn list_subjects(registry: State) -> Answer {
    Ok(ok(json!(call(&registry, Registry::subjects).await?)))
}

pub async fn list_versions(registry: State, subject: web::Path<String>) -> Answer {
    let subject = subject.into_inner();
    Ok(ok(json!(call(&registry, move |r| r.versions(&subject)).await?)))
}

pub async fn register(registry: State, subject: web::Path<String>, body: web::Bytes) -> Answer {
    let schema = schema_body(&body)?;
    let subject = subject.into_inner();
    let id = call(&registry, move |r| r.register(&subject, &schema)).await?;
    Ok(ok(json!({ "id": id })))
}

pub async fn lookup(registry: State, subject: web::Path<String>, body: web::Bytes) -> Answer {
    let schema = schema_body(&body)?;
    let subject = subject.into_inner();
    let found = call(&registry, move |r| r.lookup(&subject, &schema)).await?;
    Ok(ok(version_body(&found)))
}

async fn find_version(
    registry: &State,
    path: web::Path<(String, String)>,
) -> Result<SubjectVersion, ApiError> {
    let (subject, raw_version) = path.into_inner();
    let selector = VersionSelector::parse(&raw_version)?;
    call(registry, move |r| r.version(&subject, selector)).await
}

pub async fn get_version(registry: State, path: web::Path<(String, String)>) -> Answer {
    Ok(ok(version_body(&find_version(&registry, path).await?)))
}

pub async fn get_version_schema(registry: State, path: web::Path<(String, String)>) -> Answer {
    let found = find_version(&registry, path).await?;
    Ok(HttpResponse::Ok().content_type(CONTENT_TYPE).body(found.schema.text().to_owned()))
}

pub async fn schema_by_id(registry: State, id: web::Path<i32>) -> Answer {
    let id = id.into_inner();
    let schema = call(&registry, move |r| r.schema_by_id(id)).await?;
    Ok(ok(json!({ "schema": schema.text() })))
}

pub async fn versions_of_schema(registry: State, id: web::Path<i32>) -> Answer {
    let id = id.into_inner();
    let pairs = call(&registry, move |r| r.versions_of_schema(id)).await?;
    let body: Vec<_> = pairs
        .into_iter()
        .map(|(subject, version)| json!({"subject": subject, "version": version}))
        .collect();
    Ok(ok(json!(body)))
}

pub async fn check_compatibility(
    registry: State,
    path: web::Path<(String, String)>,
    flags: web::Query<Flags>,
    body: web::Bytes,
) -> Answer {
    let (subject, raw_version) = path.into_inner();
    let selector = VersionSelector::parse(&raw_version)?;
    compatibility_answer(registry, subject, Some(selector), flags.verbose, body).await
}

pub async fn check_compatibility_all(
    registry: State,
    subject: web::Path<String>,
    flags: web::Query<Flags>,
    body: web::Bytes,
) -> Answer {
    compatibility_answer(registry, subject.into_inner(), None, flags.verbose, body).await
}

async fn compatibility_answer(
    registry: State,
    subject: String,
    selector: Option<VersionSelector>,
    verbose: bool,
    body: web::Bytes,
) -> Answer {
    let schema = schema_body(&body)?;
    let reasons =
        call(&registry, move |r| r.check_compatibility(&subject, selector, &schema)).await?;
    let mut answer = json!({ "is_compatible": reasons.is_empty() });
    if verbose {
        answer["messages"] = json!(reasons);
    }
    Ok(ok(answer))
}

pub async fn get_global_config(registry: State) -> Answer {
    let level = call(&registry, Registry::global_level).await?;
    Ok(ok(json!({ "compatibilityLevel": level.as_str() })))
}

pub async fn put_global_config(registry: State, body: web::Bytes) -> Answer {
    let level = level_body(&body)?;
    call(&registry, move |r| r.set_level(None, level)).await?;
    Ok(ok(json!({ "compatibility": level.as_str() })))
}

pub async fn get_subject_config(
    registry: State,
    subject: web::Path<String>,
    flags: web::Query<Flags>,
) -> Answer {
    let subject = subject.into_inner();
    let default_to_global = flags.default_to_global;
    let level = call(&registry, move |r| r.subject_level(&subject, default_to_global)).await?;
    Ok(ok(json!({ "compatibilityLevel": level.as_str() })))
}

pub async fn put_subject_config(
    registry: State,
    subject: web::Path<String>,
    body: web::Bytes,
) -> Answer {
    let level = level_body(&body)?;
    let subject = subject.into_inner();
    call(&registry, move |r| r.set_level(Some(&subject), level)).await?;
    Ok(ok(json!({ "compatibility": level.as_str() })))
}

pub async fn delete_subject_config(registry: State, subject: web::Path<String>) -> Answer {
    let subject = subject.into_inner();
    let previous = call(&registry, move |r| r.delete_level(&subject)).await?;
    Ok(ok(json!({ "compatibilityLevel": previous.as_str() })))
}

pub async fn delete_subject(
    registry: State,
    subject: web::Path<String>,
    flags: web::Query<Flags>,
) -> Answer {
    let subject = subject.into_inner();
    let permanent = flags.permanent;
    Ok(ok(json!(call(&registry, move |r| r.delete_subject(&subject, permanent)).await?)))
}

pub async fn delete_version(
    registry: State,
    path: web::Path<(String, String)>,
    flags: web::Query<Flags>,
) -> Answer {
    let (subject, raw_version) = path.into_inner();
    let selector = VersionSelector::parse(&raw_version)?;
    let permanent = flags.permanent;
    let version = call(&registry, move |r| r.delete_version(&subject, selector, permanent)).await?;
    Ok(ok(json!(version)))
}
