//! A client of any Confluent-compatible schema registry (this project's,
//! Confluent's, Apicurio's `/apis/ccompat/v7`, Karapace): it registers, looks
//! up and fetches schemas, sends HTTP basic-auth credentials the way
//! Confluent's clients do (`basic.auth.user.info`), remembers what it
//! fetched by id ([`schema_cache`]), and asks the compatibility questions in
//! a way every such registry answers ([`compatibility`]).

mod compatibility;
mod schema_cache;
mod tls;

pub use compatibility::Refusal;
pub use schema_cache::DEFAULT_UNKNOWN_SCHEMA_TTL;
pub use tls::{ClientTls, TlsFileError};

use crate::{BasicAuth, CONTENT_TYPE};
use apache_avro::Schema;
use schema_cache::SchemaCache;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use superstore_database::redact;

#[derive(Debug, thiserror::Error)]
pub enum RegistryClientError {
    #[error("cannot reach the schema registry at {url}: {source}")]
    Unreachable { url: String, source: reqwest::Error },
    #[error("the schema registry answered {status} (error {code}): {message}")]
    Api { status: u16, code: i64, message: String },
    #[error("the schema registry sent a body this client does not understand: {0}")]
    BadResponse(String),
    #[error("schema {id} from the registry is not valid Avro: {source}")]
    InvalidSchema { id: i32, source: apache_avro::Error },
    #[error("the TLS settings for the schema registry cannot be used: {0}")]
    Tls(#[from] TlsFileError),
}

impl RegistryClientError {
    /// Confluent's error code, when the registry answered with one.
    pub fn code(&self) -> Option<i64> {
        match self {
            RegistryClientError::Api { code, .. } => Some(*code),
            _ => None,
        }
    }
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    error_code: i64,
    message: String,
}

#[derive(Debug, Deserialize)]
struct IdBody {
    id: i32,
}

#[derive(Debug, Deserialize)]
struct SchemaBody {
    schema: String,
}

#[derive(Clone)]
pub struct RegistryClient {
    base_url: String,
    http: reqwest::Client,
    credentials: Option<BasicAuth>,
    schemas: Arc<SchemaCache>,
}

fn http_client() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .connect_timeout(Duration::from_secs(5))
}

impl RegistryClient {
    pub fn new(base_url: &str) -> Self {
        RegistryClient {
            base_url: base_url.trim_end_matches('/').to_owned(),
            http: http_client().build().expect("an HTTP client with the system's roots builds"),
            credentials: None,
            schemas: Arc::new(SchemaCache::new(DEFAULT_UNKNOWN_SCHEMA_TTL)),
        }
    }

    /// Trusts and presents what `tls` names (a CA instead of the system's
    /// roots, a client certificate for mutual TLS).
    pub fn with_tls(mut self, tls: &ClientTls) -> Result<Self, RegistryClientError> {
        if *tls == ClientTls::default() {
            return Ok(self);
        }
        self.http = tls.apply(http_client())?.build().map_err(|source| {
            RegistryClientError::Unreachable { url: redact(&self.base_url), source }
        })?;
        Ok(self)
    }

    /// Sends these basic-auth credentials with every request.
    pub fn with_basic_auth(mut self, credentials: Option<BasicAuth>) -> Self {
        self.credentials = credentials;
        self
    }

    /// How long an id the registry does not have is believed unknown before
    /// it is asked again (zero: ask every time). Starts a fresh cache.
    pub fn with_unknown_schema_ttl(mut self, ttl: Duration) -> Self {
        self.schemas = Arc::new(SchemaCache::new(ttl));
        self
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Registers `schema_text` under `subject` and returns its id.
    pub async fn register(
        &self,
        subject: &str,
        schema_text: &str,
    ) -> Result<i32, RegistryClientError> {
        let url = format!("{}/subjects/{}/versions", self.base_url, encode(subject));
        let body: IdBody =
            self.send(self.http.post(&url).json(&json!({ "schema": schema_text }))).await?;
        Ok(body.id)
    }

    /// The schema with `id`, from the cache or the registry. An id the
    /// registry lacks is answered from memory (error 40403) for a while.
    pub async fn schema(&self, id: i32) -> Result<Arc<Schema>, RegistryClientError> {
        if let Some(schema) = self.schemas.known(id) {
            return Ok(schema);
        }
        if let Some(ago) = self.schemas.unknown_since(id) {
            return Err(RegistryClientError::Api {
                status: 404,
                code: 40403,
                message: format!(
                    "Schema {id} not found (the registry said so {} ms ago; it is asked again \
                     after {} s)",
                    ago.as_millis(),
                    self.schemas.unknown_ttl.as_secs_f64()
                ),
            });
        }
        let url = format!("{}/schemas/ids/{id}", self.base_url);
        let body: SchemaBody = match self.send(self.http.get(&url)).await {
            Err(e) if e.code() == Some(40403) => {
                self.schemas.remember_unknown(id);
                return Err(e);
            }
            other => other?,
        };
        let schema = Arc::new(
            Schema::parse_str(&body.schema)
                .map_err(|source| RegistryClientError::InvalidSchema { id, source })?,
        );
        self.schemas.remember(id, schema.clone());
        Ok(schema)
    }

    /// The version of `subject` that holds `schema_text`.
    pub async fn lookup(
        &self,
        subject: &str,
        schema_text: &str,
    ) -> Result<i32, RegistryClientError> {
        #[derive(Deserialize)]
        struct Found {
            version: i32,
        }
        let url = format!("{}/subjects/{}", self.base_url, encode(subject));
        let found: Found =
            self.send(self.http.post(&url).json(&json!({ "schema": schema_text }))).await?;
        Ok(found.version)
    }

    /// The live versions of `subject`.
    pub async fn versions(&self, subject: &str) -> Result<Vec<i32>, RegistryClientError> {
        self.send(self.http.get(format!("{}/subjects/{}/versions", self.base_url, encode(subject))))
            .await
    }

    /// Sets the compatibility level of `subject`, or the global one.
    pub async fn set_compatibility(
        &self,
        subject: Option<&str>,
        level: &str,
    ) -> Result<String, RegistryClientError> {
        #[derive(Deserialize)]
        struct Level {
            compatibility: String,
        }
        let url = match subject {
            Some(s) => format!("{}/config/{}", self.base_url, encode(s)),
            None => format!("{}/config", self.base_url),
        };
        Ok(self
            .send::<Level>(self.http.put(url).json(&json!({ "compatibility": level })))
            .await?
            .compatibility)
    }

    /// Lists the subjects, as a reachability probe and for the CLI.
    pub async fn subjects(&self) -> Result<Vec<String>, RegistryClientError> {
        self.send(self.http.get(format!("{}/subjects", self.base_url))).await
    }

    async fn send<T: for<'de> Deserialize<'de>>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, RegistryClientError> {
        let mut request = request.header(reqwest::header::ACCEPT, CONTENT_TYPE);
        if let Some(credentials) = &self.credentials {
            request = request.basic_auth(credentials.user(), Some(credentials.password()));
        }
        let response = request.send().await.map_err(|source| RegistryClientError::Unreachable {
            url: redact(&self.base_url),
            source,
        })?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|source| RegistryClientError::Unreachable {
            url: redact(&self.base_url),
            source,
        })?;
        if !status.is_success() {
            let (code, message) = match serde_json::from_slice::<ErrorBody>(&bytes) {
                Ok(e) => (e.error_code, e.message),
                Err(_) => {
                    (i64::from(status.as_u16()), String::from_utf8_lossy(&bytes).into_owned())
                }
            };
            return Err(RegistryClientError::Api { status: status.as_u16(), code, message });
        }
        serde_json::from_slice(&bytes).map_err(|e| RegistryClientError::BadResponse(e.to_string()))
    }
}

/// Percent-encodes a subject for a path segment.
fn encode(subject: &str) -> String {
    subject
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
