//! A client of any Confluent-compatible schema registry, with the schemas it
//! has fetched cached by id: ids are immutable, so once a schema is known the
//! pipeline keeps decoding through a registry outage.

use crate::CONTENT_TYPE;
use apache_avro::Schema;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

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
    by_id: Arc<RwLock<HashMap<i32, Arc<Schema>>>>,
}

impl RegistryClient {
    pub fn new(base_url: &str) -> Self {
        RegistryClient {
            base_url: base_url.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(15))
                .connect_timeout(Duration::from_secs(5))
                .build()
                .expect("a plain HTTP client builds"),
            by_id: Arc::default(),
        }
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

    /// The schema with `id`, from the cache or the registry.
    pub async fn schema(&self, id: i32) -> Result<Arc<Schema>, RegistryClientError> {
        if let Some(schema) = self.by_id.read().expect("cache lock").get(&id) {
            return Ok(schema.clone());
        }
        let url = format!("{}/schemas/ids/{id}", self.base_url);
        let body: SchemaBody = self.send(self.http.get(&url)).await?;
        let schema = Arc::new(
            Schema::parse_str(&body.schema)
                .map_err(|source| RegistryClientError::InvalidSchema { id, source })?,
        );
        self.by_id.write().expect("cache lock").insert(id, schema.clone());
        Ok(schema)
    }

    /// Whether `schema_text` could be registered under `subject` now, and why not.
    /// A subject with no versions accepts anything.
    pub async fn check_compatibility(
        &self,
        subject: &str,
        schema_text: &str,
    ) -> Result<Vec<String>, RegistryClientError> {
        #[derive(Deserialize)]
        struct Verdict {
            is_compatible: bool,
            #[serde(default)]
            messages: Vec<String>,
        }
        let url = format!(
            "{}/compatibility/subjects/{}/versions/latest?verbose=true",
            self.base_url,
            encode(subject)
        );
        match self
            .send::<Verdict>(self.http.post(&url).json(&json!({ "schema": schema_text })))
            .await
        {
            Ok(verdict) if verdict.is_compatible => Ok(Vec::new()),
            Ok(verdict) if verdict.messages.is_empty() => {
                Ok(vec!["the registry found the schema incompatible".into()])
            }
            Ok(verdict) => Ok(verdict.messages),
            Err(e) if e.code() == Some(40401) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
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

    /// The compatibility level of `subject` (falling back to the global one), or the global one.
    pub async fn compatibility(
        &self,
        subject: Option<&str>,
    ) -> Result<String, RegistryClientError> {
        #[derive(Deserialize)]
        struct Level {
            #[serde(rename = "compatibilityLevel")]
            level: String,
        }
        let url = match subject {
            Some(s) => format!("{}/config/{}?defaultToGlobal=true", self.base_url, encode(s)),
            None => format!("{}/config", self.base_url),
        };
        Ok(self.send::<Level>(self.http.get(url)).await?.level)
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
        let response = request.header(reqwest::header::ACCEPT, CONTENT_TYPE).send().await.map_err(
            |source| RegistryClientError::Unreachable { url: self.base_url.clone(), source },
        )?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|source| RegistryClientError::Unreachable {
            url: self.base_url.clone(),
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
