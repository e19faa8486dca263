//! A client of any Confluent-compatible schema registry (this project's,
//! Confluent's, Apicurio's `/apis/ccompat/v7`, Karapace): it registers, looks
//! up and fetches schemas, sends HTTP basic-auth credentials the way
//! Confluent's clients do (`basic.auth.user.info`), remembers what it
//! fetched by id ([`schema_cache`]), and asks the compatibility questions in
//! a way every such registry answers ([`compatibility`]).

mod client_tls;
mod compatibility;
mod lookup_budget;
mod schema_cache;
mod unknown_ids;

pub use client_tls::{ClientTls, TlsFileError};
pub use compatibility::Refusal;
pub use lookup_budget::DEFAULT_UNKNOWN_SCHEMA_LOOKUPS_PER_SEC;
pub use schema_cache::DEFAULT_UNKNOWN_SCHEMA_TTL;
pub use unknown_ids::DEFAULT_UNKNOWN_IDS_REMEMBERED;

use crate::{BasicAuth, CONTENT_TYPE};
use apache_avro::Schema;
use lookup_budget::LookupBudget;
use schema_cache::SchemaCache;
use serde::Deserialize;
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use superstore_database::redact_knowing;

/// Why a request to the registry gave no answer the caller can use.
#[derive(Debug, thiserror::Error)]
pub enum RegistryClientError {
    /// The cause is rendered with its chain and redacted: it names the URL.
    #[error("cannot reach the schema registry at {url}: {cause}")]
    Unreachable {
        /// The registry's base URL, its credentials masked.
        url: String,
        /// What the connection met (refused, timed out, TLS), redacted.
        cause: String,
    },
    /// The registry answered with one of Confluent's error bodies.
    #[error("the schema registry answered {status} (error {code}): {message}")]
    Api {
        /// The HTTP status.
        status: u16,
        /// Confluent's error code (40401: subject not found, 409: incompatible…).
        code: i64,
        /// The registry's message.
        message: String,
    },
    /// The body is not the JSON the API promises; the parser's message.
    #[error("the schema registry sent a body this client does not understand: {0}")]
    BadResponse(String),
    /// The registry's text for a schema id does not parse as Avro.
    #[error("schema {id} from the registry is not valid Avro: {source}")]
    InvalidSchema {
        /// The schema id asked for.
        id: i32,
        /// apache-avro's error.
        source: apache_avro::Error,
    },
    /// More unknown ids arrived than the client asks the registry about.
    #[error(
        "schema {id} is unknown to this client, and the registry was not asked: more than \
         {per_second} schema ids per second that the registry does not have arrived (the \
         client's cap on such lookups); a replay of the record asks again"
    )]
    NotAsked {
        /// The schema id not asked about.
        id: i32,
        /// The cap on lookups of unknown ids, per second.
        per_second: u32,
    },
    /// A TLS file the user named cannot be used.
    #[error("the TLS settings for the schema registry cannot be used: {0}")]
    Tls(#[from] TlsFileError),
}

impl RegistryClientError {
    /// Confluent's error code, when the registry answered with one; an id
    /// the client did not ask about counts as not found (40403), which is
    /// all the client can say of it.
    pub fn code(&self) -> Option<i64> {
        match self {
            RegistryClientError::Api { code, .. } => Some(*code),
            RegistryClientError::NotAsked { .. } => Some(40403),
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

/// A client of one registry: cheap to clone, the clones share its cache of
/// schemas and its budget of lookups for unknown ids.
#[derive(Clone)]
pub struct RegistryClient {
    base_url: String,
    http: reqwest::Client,
    credentials: Option<BasicAuth>,
    schemas: Arc<SchemaCache>,
    unknown_lookups: Arc<Mutex<LookupBudget>>,
}

fn http_client() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .connect_timeout(Duration::from_secs(5))
}

impl RegistryClient {
    /// A client of the registry at `base_url`, over HTTP or HTTPS with the
    /// system's roots, without credentials.
    pub fn new(base_url: &str) -> Self {
        RegistryClient {
            base_url: base_url.trim_end_matches('/').to_owned(),
            http: http_client().build().expect("an HTTP client with the system's roots builds"),
            credentials: None,
            schemas: Arc::new(SchemaCache::new(
                DEFAULT_UNKNOWN_SCHEMA_TTL,
                DEFAULT_UNKNOWN_IDS_REMEMBERED,
            )),
            unknown_lookups: Arc::new(Mutex::new(LookupBudget::new(
                DEFAULT_UNKNOWN_SCHEMA_LOOKUPS_PER_SEC,
                Instant::now(),
            ))),
        }
    }

    /// Trusts and presents what `tls` names (a CA instead of the system's
    /// roots, a client certificate for mutual TLS).
    pub fn with_tls(mut self, tls: &ClientTls) -> Result<Self, RegistryClientError> {
        if *tls == ClientTls::default() {
            return Ok(self);
        }
        self.http = tls.apply(http_client())?.build().map_err(|error| self.unreachable(&error))?;
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
        self.schemas = Arc::new(SchemaCache::new(ttl, DEFAULT_UNKNOWN_IDS_REMEMBERED));
        self
    }

    /// How many ids per second the registry may be found not to have; past
    /// that, an id not in the cache is answered "unknown" without asking
    /// ([`RegistryClientError::NotAsked`]). Zero: no cap.
    pub fn with_unknown_schema_lookups_per_sec(mut self, per_second: u32) -> Self {
        self.unknown_lookups = Arc::new(Mutex::new(LookupBudget::new(per_second, Instant::now())));
        self
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
    /// registry lacks is answered from memory (error 40403) for a while; past
    /// the cap on such lookups, an id is answered "not asked" (also 40403).
    pub async fn schema(&self, id: i32) -> Result<Arc<Schema>, RegistryClientError> {
        if let Some(schema) = self.schemas.known(id) {
            return Ok(schema);
        }
        self.refuse_unknown(id, Instant::now())?;
        let url = format!("{}/schemas/ids/{id}", self.base_url);
        let body: SchemaBody = match self.send(self.http.get(&url)).await {
            Err(e) if e.code() == Some(40403) => {
                let now = Instant::now();
                self.schemas.remember_unknown(id, now);
                self.unknown_lookups.lock().expect("lookup budget lock").charge(now);
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

    /// Answers for the registry when it said recently that it has no `id`,
    /// or when too many unknown ids arrived to ask about this one.
    fn refuse_unknown(&self, id: i32, now: Instant) -> Result<(), RegistryClientError> {
        if let Some(ago) = self.schemas.unknown_since(id, now) {
            return Err(RegistryClientError::Api {
                status: 404,
                code: 40403,
                message: format!(
                    "Schema {id} not found (the registry said so {} ms ago; it is asked again \
                     after {} s)",
                    ago.as_millis(),
                    self.schemas.unknown_ttl().as_secs_f64()
                ),
            });
        }
        let mut budget = self.unknown_lookups.lock().expect("lookup budget lock");
        if budget.allows(now) {
            return Ok(());
        }
        Err(RegistryClientError::NotAsked { id, per_second: budget.per_second() })
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
        let response = request.send().await.map_err(|e| self.unreachable(&e))?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| self.unreachable(&e))?;
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

    /// The registry did not answer: the error and its causes, redacted.
    fn unreachable(&self, error: &reqwest::Error) -> RegistryClientError {
        let mut cause = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(inner) = source {
            cause = format!("{cause}: {inner}");
            source = inner.source();
        }
        RegistryClientError::Unreachable {
            url: redact_knowing(&self.base_url, &self.base_url),
            cause: redact_knowing(&cause, &self.base_url),
        }
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
