//! What a user's Kafka settings may say, and why not when they may not.
//!
//! - The pipeline owns the settings its guarantees rest on (where offsets
//!   live, what it reads, how partitions are assigned, how publishers
//!   deliver) and those it sets from its own flags: a properties file that
//!   names one is refused, naming the key and the reason.
//! - Settings of the Java client that librdkafka does not have (a JAAS line,
//!   trust stores) are refused, naming librdkafka's equivalent.
//! - The registry's settings, which some providers put in the same file, are
//!   refused, naming the environment variable that takes them.
//! - The common connection settings can also be given as `KAFKA_*`
//!   variables ([`VARIABLES`]).

/// Settings the pipeline owns, each with why.
const OWNED: &[(&str, &str)] = &[
    ("group.id", "it is `run --group`, the group whose offsets PostgreSQL keeps"),
    (
        "group.instance.id",
        "it is `run --instance-id` (SUPERSTORE_INSTANCE_ID), the instance's stable name in its \
         group",
    ),
    (
        "enable.auto.commit",
        "offsets are stored in PostgreSQL, in the transaction of the rows; Kafka's are written \
         only so that lag shows",
    ),
    ("auto.commit.enable", "offsets are stored in PostgreSQL, in the transaction of the rows"),
    (
        "enable.auto.offset.store",
        "offsets are stored in PostgreSQL, in the transaction of the rows",
    ),
    (
        "auto.offset.reset",
        "every position comes from PostgreSQL; one outside the log is an error to report, never \
         a jump to either end (`superstore offsets reset` moves them on purpose)",
    ),
    (
        "isolation.level",
        "the pipeline reads committed records only (read_committed): a record of an aborted \
         transaction is never staged",
    ),
    (
        "partition.assignment.strategy",
        "the pipeline positions every assigned partition from PostgreSQL on each (eager, range) \
         assignment",
    ),
    ("group.protocol", "the pipeline's resume relies on the classic protocol's eager assignment"),
    ("group.remote.assignor", "the pipeline's resume relies on the classic protocol's assignment"),
    ("enable.partition.eof", "the source decides by itself when a partition is drained"),
    (
        "session.timeout.ms",
        "it is set by `run --session-timeout-ms` (SUPERSTORE_SESSION_TIMEOUT_MS), 45 s by default",
    ),
    (
        "max.poll.interval.ms",
        "it is set by `run --max-poll-interval-ms` (SUPERSTORE_MAX_POLL_INTERVAL_MS)",
    ),
    ("heartbeat.interval.ms", "it follows the session timeout (a third of it, at most 3 s)"),
    (
        "queued.max.messages.kbytes",
        "it follows `run --max-in-flight-bytes`, which bounds the pipeline's memory",
    ),
    ("statistics.interval.ms", "the outage log reads the brokers' states from the statistics"),
    ("enable.idempotence", "publishers write an event once even when a send is retried"),
    ("acks", "an event counts as delivered only once every in-sync replica has it (acks=all)"),
    (
        "transactional.id",
        "publishers are idempotent producers; exactly once is kept by PostgreSQL's transaction",
    ),
];

/// Settings of Java clients that librdkafka lacks, with what to use instead.
const JAVA_ONLY: &[(&str, &str)] = &[
    (
        "sasl.jaas.config",
        "librdkafka has no JAAS: put the username= and password= of that line in sasl.username \
         and sasl.password (for OAUTHBEARER: sasl.oauthbearer.client.id and \
         sasl.oauthbearer.client.secret)",
    ),
    (
        "sasl.login.callback.handler.class",
        "librdkafka fetches OAUTHBEARER tokens itself: sasl.oauthbearer.method=oidc with \
         sasl.oauthbearer.token.endpoint.url",
    ),
    (
        "sasl.client.callback.handler.class",
        "librdkafka has no callback classes: use sasl.username and sasl.password",
    ),
    ("ssl.truststore.location", "use ssl.ca.location, a PEM file of the CA certificates"),
    ("ssl.truststore.password", "use ssl.ca.location, a PEM file, which needs no password"),
    ("ssl.truststore.type", "use ssl.ca.location, a PEM file of the CA certificates"),
    (
        "ssl.keystore.type",
        "ssl.keystore.location takes a PKCS#12 file; for PEM files use ssl.certificate.location \
         and ssl.key.location",
    ),
    ("ssl.protocol", "OpenSSL negotiates the newest TLS version both sides speak"),
    ("ssl.enabled.protocols", "OpenSSL negotiates the newest TLS version both sides speak"),
    ("key.serializer", "the commands write Confluent-framed Avro themselves"),
    ("value.serializer", "the commands write Confluent-framed Avro themselves"),
    ("key.deserializer", "the pipeline reads Confluent-framed Avro itself"),
    ("value.deserializer", "the pipeline reads Confluent-framed Avro itself"),
];

/// Registry settings found in Kafka files, and the variables that take them.
const REGISTRY: &[(&str, &str)] = &[
    ("schema.registry.url", "SCHEMA_REGISTRY_URL"),
    ("basic.auth.user.info", "SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO"),
    ("schema.registry.basic.auth.user.info", "SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO"),
    ("basic.auth.credentials.source", "SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO"),
    ("schema.registry.ssl.ca.location", "SCHEMA_REGISTRY_SSL_CA_LOCATION"),
    ("schema.registry.ssl.certificate.location", "SCHEMA_REGISTRY_SSL_CERTIFICATE_LOCATION"),
    ("schema.registry.ssl.key.location", "SCHEMA_REGISTRY_SSL_KEY_LOCATION"),
];

/// The environment variables that set the common connection settings, and
/// the librdkafka key each sets. They override the properties file.
pub const VARIABLES: [(&str, &str); 7] = [
    ("KAFKA_SECURITY_PROTOCOL", "security.protocol"),
    ("KAFKA_SASL_MECHANISM", "sasl.mechanisms"),
    ("KAFKA_SASL_USERNAME", "sasl.username"),
    ("KAFKA_SASL_PASSWORD", "sasl.password"),
    ("KAFKA_SSL_CA_LOCATION", "ssl.ca.location"),
    ("KAFKA_SSL_CERTIFICATE_LOCATION", "ssl.certificate.location"),
    ("KAFKA_SSL_KEY_LOCATION", "ssl.key.location"),
];

/// Keys whose values are secrets: never printed, and masked in any message
/// that would quote them.
const SECRET: &[&str] = &[
    "sasl.password",
    "ssl.key.password",
    "ssl.keystore.password",
    "ssl.key.pem",
    "sasl.oauthbearer.client.secret",
    "sasl.oauthbearer.config",
    "sasl.oauthbearer.assertion.private.key.passphrase",
    "sasl.oauthbearer.assertion.private.key.pem",
];

/// The one name librdkafka knows a key by (it takes Java's singular
/// `sasl.mechanism` too; the overlay must not keep both).
pub fn canonical(key: &str) -> &str {
    match key {
        "sasl.mechanism" => "sasl.mechanisms",
        other => other,
    }
}

/// Why `key` may not come from the user, if it may not.
pub fn refusal(key: &str) -> Option<String> {
    let find = |table: &[(&'static str, &'static str)]| {
        table.iter().find(|(name, _)| *name == key).map(|(_, why)| *why)
    };
    if let Some(why) = find(OWNED) {
        return Some(format!("the pipeline owns {key}: {why}; remove the line"));
    }
    if let Some(instead) = find(JAVA_ONLY) {
        return Some(format!("{key} is a Java client setting that librdkafka lacks: {instead}"));
    }
    find(REGISTRY).map(|variable| {
        format!("{key} is a schema registry setting, not a Kafka one: set {variable} instead")
    })
}

/// Whether the value of `key` is a secret (a password, a private key).
pub(crate) fn is_secret(key: &str) -> bool {
    SECRET.contains(&key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_guarantee_of_the_pipeline_is_owned() {
        for key in [
            "group.id",
            "enable.auto.commit",
            "enable.auto.offset.store",
            "auto.offset.reset",
            "isolation.level",
            "partition.assignment.strategy",
            "enable.idempotence",
            "acks",
        ] {
            let why = refusal(key).unwrap_or_else(|| panic!("{key} is not owned"));
            assert!(why.starts_with(&format!("the pipeline owns {key}: ")), "{why}");
        }
    }

    #[test]
    fn connection_settings_are_the_users() {
        for key in ["security.protocol", "sasl.mechanisms", "sasl.password", "ssl.ca.location"] {
            assert_eq!(refusal(key), None, "{key}");
        }
        for key in ["client.id", "linger.ms", "compression.type", "debug"] {
            assert_eq!(refusal(key), None, "{key}");
        }
    }

    #[test]
    fn java_and_registry_keys_name_what_to_use_instead() {
        let jaas = refusal("sasl.jaas.config").unwrap();
        assert!(jaas.contains("sasl.username") && jaas.contains("sasl.password"), "{jaas}");
        let trust = refusal("ssl.truststore.location").unwrap();
        assert!(trust.contains("ssl.ca.location"), "{trust}");
        let url = refusal("schema.registry.url").unwrap();
        assert!(url.contains("SCHEMA_REGISTRY_URL"), "{url}");
    }
}
