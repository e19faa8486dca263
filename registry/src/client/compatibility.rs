//! The compatibility questions, asked so that every Confluent-compatible
//! registry answers them, and answered with reasons even when the registry
//! gives none:
//!
//! - the effective level of a subject is `GET /config/{s}?defaultToGlobal=true`;
//!   Apicurio and Karapace answer 40401 for a subject with no versions yet
//!   (Confluent and this project answer the global level), so on 40401 or
//!   40408 the client asks for the global level instead;
//! - a registry that finds a schema incompatible may give no reasons
//!   (Apicurio ignores `verbose=true`): the client then fetches the
//!   versions the level compares against and runs this crate's own checker,
//!   whose reasons are labelled as the local explanation.

use super::{encode, RegistryClient, RegistryClientError};
use crate::compatibility::{incompatibilities, CompatibilityLevel, Version};
use serde::Deserialize;
use serde_json::json;

/// Why a registry refuses a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// One sentence per problem.
    pub reasons: Vec<String>,
    /// True when the registry gave no reasons and these come from this
    /// crate's checker (the local explanation), not from the registry.
    pub explained_locally: bool,
}

#[derive(Deserialize)]
struct Verdict {
    is_compatible: bool,
    #[serde(default)]
    messages: Vec<String>,
}

#[derive(Deserialize)]
struct Level {
    #[serde(rename = "compatibilityLevel")]
    level: String,
}

#[derive(Deserialize)]
struct VersionBody {
    schema: String,
}

impl RegistryClient {
    /// The level that applies to `subject` (its own, else the global one), or
    /// the global level.
    pub async fn compatibility(
        &self,
        subject: Option<&str>,
    ) -> Result<String, RegistryClientError> {
        let global = format!("{}/config", self.base_url);
        let Some(subject) = subject else {
            return Ok(self.send::<Level>(self.http.get(global)).await?.level);
        };
        let url = format!("{}/config/{}?defaultToGlobal=true", self.base_url, encode(subject));
        match self.send::<Level>(self.http.get(url)).await {
            Ok(found) => Ok(found.level),
            Err(e) if matches!(e.code(), Some(40401 | 40408)) => {
                Ok(self.send::<Level>(self.http.get(global)).await?.level)
            }
            Err(e) => Err(e),
        }
    }

    /// Whether `schema_text` could be registered under `subject` now, and if
    /// not, why. A subject with no versions accepts anything.
    pub async fn check_compatibility(
        &self,
        subject: &str,
        schema_text: &str,
    ) -> Result<Option<Refusal>, RegistryClientError> {
        let url = format!(
            "{}/compatibility/subjects/{}/versions/latest?verbose=true",
            self.base_url,
            encode(subject)
        );
        let request = self.http.post(&url).json(&json!({ "schema": schema_text }));
        let verdict = match self.send::<Verdict>(request).await {
            Ok(verdict) => verdict,
            Err(e) if e.code() == Some(40401) => return Ok(None),
            Err(e) => return Err(e),
        };
        if verdict.is_compatible {
            return Ok(None);
        }
        if !verdict.messages.is_empty() {
            return Ok(Some(Refusal { reasons: verdict.messages, explained_locally: false }));
        }
        let reasons = self.local_explanation(subject, schema_text).await?;
        Ok(Some(Refusal { reasons, explained_locally: true }))
    }

    /// The schema text of one version of `subject`.
    pub async fn version_text(
        &self,
        subject: &str,
        version: i32,
    ) -> Result<String, RegistryClientError> {
        let url = format!("{}/subjects/{}/versions/{version}", self.base_url, encode(subject));
        Ok(self.send::<VersionBody>(self.http.get(url)).await?.schema)
    }

    /// This crate's checker on the versions the subject's level compares
    /// `schema_text` with: why it may not follow them.
    async fn local_explanation(
        &self,
        subject: &str,
        schema_text: &str,
    ) -> Result<Vec<String>, RegistryClientError> {
        let raw_level = self.compatibility(Some(subject)).await?;
        let Ok(level) = raw_level.parse::<CompatibilityLevel>() else {
            return Ok(vec![format!(
                "the registry found the schema incompatible under its level {raw_level}, \
                 which this client does not know, so it cannot explain why"
            )]);
        };
        let live = self.versions(subject).await?;
        let compared = match (level.is_transitive(), live.split_last()) {
            (true, _) => live.clone(),
            (false, Some((latest, _))) => vec![*latest],
            (false, None) => Vec::new(),
        };
        let mut texts = Vec::with_capacity(compared.len());
        for number in &compared {
            texts.push((*number, self.version_text(subject, *number).await?));
        }
        let history: Vec<Version<'_>> =
            texts.iter().map(|(number, text)| Version { number: *number, text }).collect();
        let reasons = incompatibilities(level, schema_text, &history);
        if reasons.is_empty() {
            return Ok(vec![format!(
                "the registry found the schema incompatible, but this client's checker finds \
                 no reason under {level} against version(s) {compared:?}: the registry's rules \
                 differ from Avro's here; ask it, or its administrator, why"
            )]);
        }
        Ok(reasons)
    }
}
