//! [`KafkaSettings`]: the bootstrap servers and the user's librdkafka
//! settings, checked once, and applied to every client the project makes
//! (consumer, lag probe, admin, the producers, the offsets commands, the
//! probes) by [`KafkaSettings::client_config`], the one constructor of
//! their `ClientConfig`.

use crate::properties::{self, Origin, PropertiesError, Property};
use crate::rules;
use rdkafka::config::ClientConfig;
use std::fmt;
use std::path::Path;

/// The variable that names the bootstrap servers, which a file's
/// `bootstrap.servers` stands in for.
pub const BOOTSTRAP_VARIABLE: &str = "KAFKA_BOOTSTRAP_SERVERS";

/// Why the user's Kafka settings cannot be used. Each names the setting,
/// where it came from and what to do.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The properties file could not be read or parsed.
    #[error(transparent)]
    File(#[from] PropertiesError),
    /// Every refused setting at once, so that a provider's file is fixed in one go.
    #[error("Kafka settings refused: {}", join(.0))]
    Refused(Vec<RefusedSetting>),
    /// librdkafka refuses the setting's value, or this build cannot use it.
    #[error("Kafka setting {key} ({origin}) cannot be used: {reason}. Fix: correct or remove it")]
    Invalid {
        /// The librdkafka key.
        key: String,
        /// Where it was set.
        origin: Origin,
        /// Why it cannot be used.
        reason: String,
    },
    /// The file's `bootstrap.servers` and the variable disagree: which one
    /// is meant cannot be guessed.
    #[error(
        "bootstrap.servers ({origin}) and {BOOTSTRAP_VARIABLE} name different brokers. Fix: \
         keep one of them"
    )]
    TwoBootstraps {
        /// Where the file's `bootstrap.servers` is.
        origin: Origin,
    },
}

/// One setting the user may not give, and why.
#[derive(Debug, thiserror::Error)]
#[error("{key} ({origin}): {reason}")]
pub struct RefusedSetting {
    /// The key as given.
    pub key: String,
    /// Where it was set.
    pub origin: Origin,
    /// Why the user may not set it, and what to do instead.
    pub reason: String,
}

fn join(refused: &[RefusedSetting]) -> String {
    refused.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

/// The settings of every Kafka client of one command.
#[derive(Clone, Default)]
pub struct KafkaSettings {
    bootstrap: String,
    /// The user's settings (or the local stack's), checked; never
    /// `bootstrap.servers`, which is kept in `bootstrap`.
    properties: Vec<Property>,
    /// A file's `bootstrap.servers`, used when no variable names the brokers.
    file_bootstrap: Option<Property>,
}

impl fmt::Debug for KafkaSettings {
    /// The keys and where they came from; never a value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KafkaSettings")
            .field("bootstrap", &self.bootstrap)
            .field("properties", &self.properties)
            .finish()
    }
}

impl KafkaSettings {
    /// The user's settings: the properties `file` if one is given, then the
    /// `KAFKA_*` variables (read through `variable`) over it.
    pub fn load(
        file: Option<&Path>,
        variable: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, SettingsError> {
        let mut given = match file {
            Some(path) => properties::read(path)?,
            None => Vec::new(),
        };
        for (name, key) in rules::VARIABLES {
            if let Some(value) = variable(name).filter(|v| !v.is_empty()) {
                given.push(Property { key: key.to_owned(), value, origin: Origin::Variable(name) });
            }
        }
        let settings = Self::from_properties(given)?;
        if let (Some(from_file), Some(from_variable)) =
            (&settings.file_bootstrap, variable(BOOTSTRAP_VARIABLE).filter(|v| !v.is_empty()))
        {
            if from_file.value.trim() != from_variable.trim() {
                return Err(SettingsError::TwoBootstraps { origin: from_file.origin.clone() });
            }
        }
        Ok(settings)
    }

    /// Settings from `given`, later ones overriding earlier ones, checked
    /// against the rules and by librdkafka itself.
    pub fn from_properties(given: Vec<Property>) -> Result<Self, SettingsError> {
        let mut settings = KafkaSettings::default();
        let mut refused = Vec::new();
        for mut property in given {
            property.key = rules::canonical(&property.key).to_owned();
            if property.key == "bootstrap.servers" {
                settings.file_bootstrap = Some(property);
                continue;
            }
            if let Some(reason) = rules::refusal(&property.key) {
                let Property { key, origin, .. } = property;
                refused.push(RefusedSetting { key, origin, reason });
                continue;
            }
            settings.properties.retain(|p| p.key != property.key);
            settings.properties.push(property);
        }
        if !refused.is_empty() {
            return Err(SettingsError::Refused(refused));
        }
        settings.validate()?;
        Ok(settings)
    }

    /// Asks librdkafka whether it takes every setting, so that a typo is
    /// reported at start, naming the key and where it came from (never the
    /// value, which may be a password).
    fn validate(&self) -> Result<(), SettingsError> {
        self.refuse_what_is_not_built_in()?;
        for property in &self.properties {
            let mut config = ClientConfig::new();
            config.set(&property.key, &property.value);
            if let Err(rdkafka::error::KafkaError::ClientConfig(_, reason, _, _)) =
                config.create_native_config()
            {
                return Err(SettingsError::Invalid {
                    key: property.key.clone(),
                    origin: property.origin.clone(),
                    reason: explain(&property.key, &property.value, &self.scrub(&reason)),
                });
            }
        }
        Ok(())
    }

    /// Settings the program sets itself (the local stack's), checked like a user's.
    pub fn from_program<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self, SettingsError> {
        let given = pairs.into_iter().map(|(key, value)| Property {
            key: key.into(),
            value: value.into(),
            origin: Origin::Program,
        });
        Self::from_properties(given.collect())
    }

    /// The same settings with `key` set to `value` by the program.
    pub(crate) fn overriding(mut self, key: &str, value: &str) -> Self {
        self.properties.retain(|p| p.key != key);
        let (key, value) = (key.to_owned(), value.to_owned());
        self.properties.push(Property { key, value, origin: Origin::Program });
        self
    }

    /// SASL mechanisms this build cannot use, refused before a client waits
    /// for them in vain. GSSAPI needs libsasl2. OAUTHBEARER needs a token:
    /// this librdkafka cannot fetch one (OIDC needs libcurl) and the clients
    /// here hand it none, so only a development broker's unsecured JWTs work.
    fn refuse_what_is_not_built_in(&self) -> Result<(), SettingsError> {
        let Some(mechanism) = self.properties.iter().find(|p| p.key == "sasl.mechanisms") else {
            return Ok(());
        };
        let unsecured = self.get("enable.sasl.oauthbearer.unsecure.jwt") == Some("true");
        let reason = match mechanism.value.to_ascii_uppercase().as_str() {
            "GSSAPI" => explain("sasl.mechanisms", "GSSAPI", ""),
            "OAUTHBEARER" if !unsecured => "OAUTHBEARER needs a token, and this binary's \
                librdkafka cannot fetch one (OIDC needs libcurl, which it is built without); \
                use SCRAM or PLAIN, or mutual TLS"
                .into(),
            _ => return Ok(()),
        };
        let (key, origin) = (mechanism.key.clone(), mechanism.origin.clone());
        Err(SettingsError::Invalid { key, origin, reason })
    }

    /// The brokers a properties file names, if it names them.
    pub fn file_bootstrap(&self) -> Option<&str> {
        self.file_bootstrap.as_ref().map(|p| p.value.as_str())
    }

    /// These settings for the brokers at `bootstrap`.
    pub fn with_bootstrap(mut self, bootstrap: &str) -> Self {
        bootstrap.clone_into(&mut self.bootstrap);
        self
    }

    /// The bootstrap servers every client of these settings connects to.
    pub fn bootstrap(&self) -> &str {
        &self.bootstrap
    }

    /// Whether the user gave no setting at all (the brokers aside).
    pub fn is_empty(&self) -> bool {
        self.properties.is_empty()
    }

    /// The value of `key` as given, unless it is a secret.
    pub fn get(&self, key: &str) -> Option<&str> {
        if rules::is_secret(key) {
            return None;
        }
        self.properties.iter().find(|p| p.key == key).map(|p| p.value.as_str())
    }

    /// How these settings connect, for a log line: the protocol, the SASL
    /// mechanism and user, never a secret.
    pub fn describe(&self) -> String {
        let protocol = self.get("security.protocol").unwrap_or("PLAINTEXT");
        match (self.get("sasl.mechanisms"), self.get("sasl.username")) {
            (Some(mechanism), Some(user)) => format!("{protocol}, {mechanism} as {user}"),
            (Some(mechanism), None) => format!("{protocol}, {mechanism}"),
            _ => protocol.to_owned(),
        }
    }

    /// A client configuration: the bootstrap servers, then the settings of
    /// the client that asks (`ours`), then the user's. The user's come last
    /// so that they may tune what the code only defaults (`linger.ms`,
    /// `compression.type`…); the settings the pipeline owns were refused
    /// when the user's were loaded, so they cannot be overridden here.
    pub fn client_config(&self, ours: impl FnOnce(&mut ClientConfig)) -> ClientConfig {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", &self.bootstrap);
        ours(&mut config);
        for property in &self.properties {
            config.set(&property.key, &property.value);
        }
        config
    }

    /// `text` with every secret value of these settings masked: for
    /// messages that quote what librdkafka said.
    pub fn scrub(&self, text: &str) -> String {
        self.properties
            .iter()
            .filter(|p| rules::is_secret(&p.key) && !p.value.is_empty())
            .fold(text.to_owned(), |text, p| text.replace(&p.value, "***"))
    }
}

/// librdkafka's reason, with what this build lacks said plainly.
fn explain(key: &str, value: &str, reason: &str) -> String {
    if key == "sasl.mechanisms" && value.to_ascii_uppercase().contains("GSSAPI") {
        return "GSSAPI (Kerberos) is not built into this binary (its librdkafka has no \
                libsasl2); use SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN, or mutual TLS"
            .into();
    }
    if key == "sasl.oauthbearer.method" && value.eq_ignore_ascii_case("oidc") {
        return "OIDC token fetching is not built into this binary (its librdkafka has no \
                libcurl); see \"Connecting to your cluster\" in the docs"
            .into();
    }
    reason.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn file(text: &str) -> (std::path::PathBuf, impl Drop) {
        struct Remove(std::path::PathBuf);
        impl Drop for Remove {
            fn drop(&mut self) {
                let _ = std::fs::remove_file(&self.0);
            }
        }
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir()
            .join(format!("kafka-settings-{}-{n}.properties", std::process::id()));
        std::fs::write(&path, text).unwrap();
        (path.clone(), Remove(path))
    }

    fn variables(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn the_variables_override_the_file_and_reach_every_client() {
        let (path, _remove) = file(
            "bootstrap.servers=broker:9093\nsecurity.protocol=SSL\nsasl.mechanism=PLAIN\n\
             linger.ms=25\n",
        );
        let env = variables(&[
            ("KAFKA_SECURITY_PROTOCOL", "SASL_SSL"),
            ("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512"),
            ("KAFKA_SASL_PASSWORD", "hunter2"),
        ]);
        let settings = KafkaSettings::load(Some(&path), env).unwrap();
        assert_eq!(settings.file_bootstrap(), Some("broker:9093"));
        let settings = settings.with_bootstrap("broker:9093");
        let config = settings.client_config(|c| {
            c.set("linger.ms", "10").set("group.id", "superstore-staging");
        });
        assert_eq!(config.get("bootstrap.servers"), Some("broker:9093"));
        assert_eq!(config.get("security.protocol"), Some("SASL_SSL"));
        assert_eq!(config.get("sasl.mechanisms"), Some("SCRAM-SHA-512"));
        assert_eq!(config.get("sasl.mechanism"), None, "one name per setting");
        assert_eq!(config.get("sasl.password"), Some("hunter2"));
        assert_eq!(config.get("linger.ms"), Some("25"), "the user tunes what the code defaults");
        assert_eq!(config.get("group.id"), Some("superstore-staging"));
        assert_eq!(settings.describe(), "SASL_SSL, SCRAM-SHA-512");
    }

    #[test]
    fn an_owned_key_is_refused_naming_it_and_its_line() {
        let (path, _remove) = file(
            "security.protocol=SSL\n\nenable.auto.commit=true\nschema.registry.url=https://r\n",
        );
        let err = KafkaSettings::load(Some(&path), variables(&[])).unwrap_err();
        let message = err.to_string();
        let SettingsError::Refused(refused) = err else { panic!("{message}") };
        let keys: Vec<&str> = refused.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["enable.auto.commit", "schema.registry.url"], "all of them at once");
        assert!(message.contains("line 3") && message.contains("line 4"), "{message}");
        assert!(message.contains("the pipeline owns enable.auto.commit"), "{message}");
        assert!(message.contains("set SCHEMA_REGISTRY_URL instead"), "{message}");
    }

    #[test]
    fn a_jaas_line_names_the_librdkafka_keys_and_hides_its_password() {
        let (path, _remove) = file(
            "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \
             username='u' password='topsecret';\n",
        );
        let message = KafkaSettings::load(Some(&path), variables(&[])).unwrap_err().to_string();
        assert!(message.contains("sasl.username and sasl.password"), "{message}");
        assert!(!message.contains("topsecret"), "{message}");
    }

    #[test]
    fn librdkafka_refuses_an_unknown_key_without_quoting_its_value() {
        let (path, _remove) = file("sasl.pasword=topsecret\n");
        let err = KafkaSettings::load(Some(&path), variables(&[])).unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, SettingsError::Invalid { ref key, .. } if key == "sasl.pasword"));
        assert!(message.contains("line 1") && !message.contains("topsecret"), "{message}");
    }

    #[test]
    fn gssapi_is_refused_saying_it_is_not_built_in() {
        let env = variables(&[("KAFKA_SASL_MECHANISM", "GSSAPI")]);
        let message = KafkaSettings::load(None, env).unwrap_err().to_string();
        assert!(message.contains("KAFKA_SASL_MECHANISM"), "{message}");
        assert!(message.contains("not built into this binary"), "{message}");
    }

    #[test]
    fn a_file_and_the_variable_naming_other_brokers_are_refused() {
        let (path, _remove) = file("bootstrap.servers=a:9092\n");
        let env = variables(&[(BOOTSTRAP_VARIABLE, "b:9092")]);
        let err = KafkaSettings::load(Some(&path), env).unwrap_err();
        assert!(matches!(err, SettingsError::TwoBootstraps { .. }), "{err}");
        let same = variables(&[(BOOTSTRAP_VARIABLE, "a:9092")]);
        assert!(KafkaSettings::load(Some(&path), same).is_ok());
    }

    #[test]
    fn secrets_never_show_in_debug_output_or_scrubbed_text() {
        let env = variables(&[("KAFKA_SASL_PASSWORD", "hunter2"), ("KAFKA_SASL_USERNAME", "u")]);
        let settings = KafkaSettings::load(None, env).unwrap();
        assert!(!format!("{settings:?}").contains("hunter2"));
        assert_eq!(settings.get("sasl.password"), None);
        assert_eq!(settings.scrub("auth for u:hunter2 failed"), "auth for u:*** failed");
    }
}
