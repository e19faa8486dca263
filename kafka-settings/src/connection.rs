//! Whether a command's settings reach the cluster, asked once before the
//! command does anything, and what a refusal means for the user.
//!
//! A wrong password, a CA that does not sign the broker's certificate, a
//! certificate for another host name or a client speaking the wrong
//! protocol to a port cannot be cured by waiting: librdkafka would retry
//! them forever. The probe listens to librdkafka's error callback and ends
//! at the first such error with a [`ConnectionError::Refused`] that names
//! the cause and the setting to change (the command exits 2), instead of
//! waiting for a timeout.

use crate::settings::KafkaSettings;
use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// Retrying cannot help: a setting must change.
    #[error("Kafka at {bootstrap} refused the connection: {cause}. Fix: {fix}")]
    Refused { bootstrap: String, cause: String, fix: String },
    #[error("cannot reach Kafka at {bootstrap}: {reason}")]
    Unreachable { bootstrap: String, reason: String },
}

/// What one refusal means.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Refusal {
    cause: String,
    fix: String,
    /// The broker's certificate failed verification: its CA, or its name.
    certificate: bool,
}

fn refusal(cause: &str, fix: &str) -> Refusal {
    Refusal { cause: cause.to_owned(), fix: fix.to_owned(), certificate: false }
}

/// The refusal an error of librdkafka's stands for, if it is one.
fn classify(code: Option<RDKafkaErrorCode>, reason: &str) -> Option<Refusal> {
    let says = |words: &[&str]| words.iter().any(|w| reason.contains(w));
    let protocol = "set security.protocol (KAFKA_SECURITY_PROTOCOL) to what the broker's port \
                    speaks";
    match code? {
        RDKafkaErrorCode::Authentication if says(&["Unsupported SASL mechanism", "mechanism"]) => {
            Some(refusal(
                "the broker does not enable this SASL mechanism",
                "set sasl.mechanisms (KAFKA_SASL_MECHANISM) to one the broker enables",
            ))
        }
        RDKafkaErrorCode::Authentication => Some(refusal(
            "authentication failed: the broker refused the SASL username or password",
            "check sasl.username and sasl.password (KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD) \
             and sasl.mechanisms (KAFKA_SASL_MECHANISM)",
        )),
        RDKafkaErrorCode::SSL if says(&["wrong version number", "PLAINTEXT broker listener"]) => {
            Some(refusal(
                "TLS handshake failed: the port does not speak TLS",
                &format!("{protocol} (PLAINTEXT or SASL_PLAINTEXT), or use its TLS port"),
            ))
        }
        RDKafkaErrorCode::SSL if says(&["certificate verify failed", "could not be verified"]) => {
            Some(Refusal { certificate: true, ..refusal("", "") })
        }
        RDKafkaErrorCode::SSL
            if says(&["certificate required", "bad certificate", "unexpected message"]) =>
        {
            Some(refusal(
                "TLS handshake failed: the broker requires a client certificate (mutual TLS) it \
                 did not get or did not accept",
                "set ssl.certificate.location and ssl.key.location (KAFKA_SSL_CERTIFICATE_LOCATION, \
                 KAFKA_SSL_KEY_LOCATION) to a certificate its CA signed",
            ))
        }
        RDKafkaErrorCode::SSL => Some(refusal(
            "TLS handshake failed",
            "check security.protocol and the ssl.* settings against the broker's listener",
        )),
        _ if says(&["incorrect security.protocol", "connecting to a SSL listener"]) => {
            Some(refusal(
                "the broker closed the connection at the first request: the port expects TLS or \
                 SASL",
                &format!("{protocol} (SSL or SASL_SSL), with the settings it needs"),
            ))
        }
        _ => None,
    }
}

/// The certificate refusals, told apart by a second handshake without the
/// host name check (see [`probe`]).
fn certificate_refusal(name_only: bool) -> Refusal {
    if name_only {
        return refusal(
            "TLS handshake failed: the broker's certificate does not name the host in \
             bootstrap.servers (hostname mismatch)",
            "connect by a name the certificate holds (KAFKA_BOOTSTRAP_SERVERS), or have the \
             broker's certificate issued for this one",
        );
    }
    refusal(
        "TLS handshake failed: the broker's certificate is not signed by a CA this client \
         trusts (unknown CA)",
        "set ssl.ca.location (KAFKA_SSL_CA_LOCATION) to the CA certificate that signed the \
         broker's",
    )
}

/// A client context that keeps the first refusal librdkafka reports, and
/// keeps librdkafka's own log lines at debug (the probe reports instead).
#[derive(Default)]
struct Watch {
    refused: Mutex<Option<Refusal>>,
}

impl ClientContext for Watch {
    fn log(&self, _level: RDKafkaLogLevel, facility: &str, message: &str) {
        tracing::debug!(target: "librdkafka", facility, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        tracing::debug!(target: "librdkafka", %error, reason, "probe: client error");
        if let Some(found) = classify(error.rdkafka_error_code(), reason) {
            self.refused.lock().expect("watch lock").get_or_insert(found);
        }
    }
}

impl ConsumerContext for Watch {}

/// How often the probe looks at what librdkafka reported.
const LOOK_EVERY: Duration = Duration::from_millis(250);

/// Asks the cluster for its metadata with `settings`; the number of brokers
/// that answered. Ends at once on a refusal. Blocking.
pub fn probe(settings: &KafkaSettings, timeout: Duration) -> Result<usize, ConnectionError> {
    match attempt(settings, timeout)? {
        Ok(brokers) => Ok(brokers),
        Err(found) if found.certificate => {
            // Is the chain trusted, and only the name wrong? One handshake
            // without the name check tells, and is never used for data.
            let unnamed = settings.clone().overriding("ssl.endpoint.identification.algorithm", "none");
            let name_only = matches!(attempt(&unnamed, timeout), Ok(Ok(_)));
            Err(refused(settings, certificate_refusal(name_only)))
        }
        Err(found) => Err(refused(settings, found)),
    }
}

fn refused(settings: &KafkaSettings, found: Refusal) -> ConnectionError {
    ConnectionError::Refused {
        bootstrap: settings.bootstrap().to_owned(),
        cause: settings.scrub(&found.cause),
        fix: found.fix,
    }
}

/// One probe: the broker count, or the refusal seen, or an error when the
/// cluster cannot be reached (or the client not even made).
fn attempt(
    settings: &KafkaSettings,
    timeout: Duration,
) -> Result<Result<usize, Refusal>, ConnectionError> {
    let bootstrap = settings.bootstrap().to_owned();
    let config = settings.client_config(|c| {
        c.set("log_level", "3");
    });
    let consumer: BaseConsumer<Watch> =
        config.create_with_context(Watch::default()).map_err(|e| match e {
            // librdkafka could not load a file a setting names (a CA, a key).
            KafkaError::ClientCreation(reason) => ConnectionError::Refused {
                bootstrap: bootstrap.clone(),
                cause: settings.scrub(&reason),
                fix: "check the files that ssl.ca.location, ssl.certificate.location and \
                      ssl.key.location name (KAFKA_SSL_*_LOCATION)"
                    .into(),
            },
            other => ConnectionError::Unreachable { bootstrap: bootstrap.clone(), reason: other.to_string() },
        })?;
    let deadline = Instant::now() + timeout;
    loop {
        let last = match consumer.fetch_metadata(None, LOOK_EVERY) {
            Ok(metadata) => return Ok(Ok(metadata.brokers().len())),
            Err(e) => e,
        };
        if let Some(found) = consumer.context().refused.lock().expect("watch lock").take() {
            return Ok(Err(found));
        }
        if Instant::now() >= deadline {
            let reason = settings.scrub(&last.to_string());
            return Err(ConnectionError::Unreachable { bootstrap, reason });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn librdkafkas_errors_map_to_the_setting_to_fix() {
        let auth = classify(
            Some(RDKafkaErrorCode::Authentication),
            "SASL authentication error: Authentication failed during authentication due to \
             invalid credentials with SASL mechanism SCRAM-SHA-512",
        )
        .unwrap();
        assert!(auth.fix.contains("sasl.password"), "{auth:?}");
        let plaintext = classify(
            Some(RDKafkaErrorCode::BrokerTransportFailure),
            "127.0.0.1:9093/bootstrap: Disconnected while requesting ApiVersion: might be caused \
             by incorrect security.protocol configuration (connecting to a SSL listener?)",
        )
        .unwrap();
        assert!(plaintext.fix.contains("security.protocol"), "{plaintext:?}");
        let verify = classify(
            Some(RDKafkaErrorCode::SSL),
            "SSL handshake failed: error:0A000086:SSL routines::certificate verify failed",
        )
        .unwrap();
        assert!(verify.certificate);
        assert_eq!(classify(Some(RDKafkaErrorCode::BrokerTransportFailure), "Connection refused"), None);
    }
}
