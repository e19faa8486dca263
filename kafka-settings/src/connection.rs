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

/// Why the probe did not get the cluster's metadata.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// Retrying cannot help: a setting must change.
    #[error("Kafka at {bootstrap} refused the connection: {cause}. Fix: {fix}")]
    Refused {
        /// The brokers asked.
        bootstrap: String,
        /// What went wrong, secrets masked.
        cause: String,
        /// The setting to change, and how.
        fix: String,
    },
    /// No broker answered before the timeout (or the client could not be
    /// made): waiting, or starting Kafka, may help.
    #[error("cannot reach Kafka at {bootstrap}: {reason}")]
    Unreachable {
        /// The brokers asked.
        bootstrap: String,
        /// librdkafka's last error, secrets masked.
        reason: String,
    },
}

/// What one refusal means.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Refusal {
    cause: String,
    fix: String,
    /// The broker's certificate failed verification: its CA, or its name.
    certificate: bool,
    /// How many reports it takes: a connection closed at a protocol's first
    /// step could, once, be a broker going down; twice, it is the protocol.
    reports: u8,
}

fn refusal(cause: &str, fix: &str) -> Refusal {
    Refusal { cause: cause.to_owned(), fix: fix.to_owned(), certificate: false, reports: 1 }
}

const PROTOCOL: &str = "set security.protocol (KAFKA_SECURITY_PROTOCOL) to what the broker's port \
                        speaks";

/// The refusal that a report of librdkafka (an error, or a connection's
/// failure in its log) stands for, if it is one.
fn classify(code: Option<RDKafkaErrorCode>, reason: &str) -> Option<Refusal> {
    let says = |words: &[&str]| words.iter().any(|w| reason.contains(w));
    if says(&["Unsupported SASL mechanism"]) {
        return Some(refusal(
            "the broker does not enable this SASL mechanism",
            "set sasl.mechanisms (KAFKA_SASL_MECHANISM) to one the broker enables",
        ));
    }
    if code == Some(RDKafkaErrorCode::Authentication) || says(&["SASL authentication error"]) {
        return Some(refusal(
            "authentication failed: the broker refused the SASL username or password",
            "check sasl.username and sasl.password (KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD) \
             and sasl.mechanisms (KAFKA_SASL_MECHANISM)",
        ));
    }
    if says(&["certificate verify failed", "could not be verified"]) {
        return Some(Refusal { certificate: true, ..refusal("", "") });
    }
    if says(&["wrong version number", "PLAINTEXT broker listener"]) {
        return Some(refusal(
            "TLS handshake failed: the port does not speak TLS",
            &format!("{PROTOCOL} (PLAINTEXT or SASL_PLAINTEXT), or use its TLS port"),
        ));
    }
    if says(&["alert bad certificate", "alert certificate required", "alert unknown ca"]) {
        return Some(refusal(
            "TLS handshake failed: the broker requires a client certificate (mutual TLS) it did \
             not get or did not accept",
            "set ssl.certificate.location and ssl.key.location (KAFKA_SSL_CERTIFICATE_LOCATION, \
             KAFKA_SSL_KEY_LOCATION) to a certificate its CA signed",
        ));
    }
    if says(&["state APIVERSION_QUERY"]) && says(&["closed by peer", "Disconnected"]) {
        return Some(Refusal {
            reports: 2,
            ..refusal(
                "the broker hangs up at the first request: the port expects TLS",
                &format!("{PROTOCOL} (SSL or SASL_SSL), with the settings it needs"),
            )
        });
    }
    if says(&["SSL connection closed by peer"]) && says(&["in state UP"]) {
        return Some(Refusal {
            reports: 2,
            ..refusal(
                "the broker hangs up after the TLS handshake: the port expects SASL",
                &format!(
                    "{PROTOCOL} (SASL_SSL), with sasl.mechanisms, sasl.username and \
                          sasl.password"
                ),
            )
        });
    }
    None
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

/// A client context that keeps the first refusal librdkafka reports, in
/// its errors or in its log's connection failures (which come at once and
/// in full, where errors may be summed up as "all brokers down"), and keeps
/// librdkafka's own log lines at debug: the probe reports instead.
#[derive(Default)]
struct Watch {
    seen: Mutex<Vec<Refusal>>,
}

impl Watch {
    fn report(&self, code: Option<RDKafkaErrorCode>, reason: &str) {
        if let Some(found) = classify(code, reason) {
            tracing::debug!(?found, "probe: a refusal reported");
            self.seen.lock().expect("watch lock").push(found);
        }
    }

    /// The first refusal reported as often as it takes.
    fn refused(&self) -> Option<Refusal> {
        let seen = self.seen.lock().expect("watch lock");
        let times = |r: &Refusal| seen.iter().filter(|s| *s == r).count();
        seen.iter().find(|r| times(r) >= usize::from(r.reports)).cloned()
    }
}

impl ClientContext for Watch {
    fn log(&self, _level: RDKafkaLogLevel, facility: &str, message: &str) {
        tracing::debug!(target: "librdkafka", facility, message);
        if facility == "FAIL" {
            self.report(None, message);
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        tracing::debug!(target: "librdkafka", %error, reason, "probe: client error");
        self.report(error.rdkafka_error_code(), reason);
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
            let unnamed =
                settings.clone().overriding("ssl.endpoint.identification.algorithm", "none");
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
    // Connection failures are logged at INFO (a broker that hangs up): the
    // watch reads them all, and passes them on at debug.
    let config = settings.client_config(|c| {
        c.set_log_level(RDKafkaLogLevel::Info);
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
            other => ConnectionError::Unreachable {
                bootstrap: bootstrap.clone(),
                reason: other.to_string(),
            },
        })?;
    let deadline = Instant::now() + timeout;
    loop {
        let last = match consumer.fetch_metadata(None, LOOK_EVERY) {
            Ok(metadata) => return Ok(Ok(metadata.brokers().len())),
            Err(e) => e,
        };
        // librdkafka's errors reach the context's callback only when the
        // client is polled (it holds no subscription: no record comes).
        while consumer.poll(Duration::ZERO).is_some() {}
        if let Some(found) = consumer.context().refused() {
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
            None,
            "127.0.0.1:26500/bootstrap: Disconnected: connection closed by peer: receive 0 after \
             POLLIN (after 0ms in state APIVERSION_QUERY)",
        )
        .unwrap();
        assert!(plaintext.fix.contains("security.protocol") && plaintext.reports == 2);
        let mutual = classify(
            Some(RDKafkaErrorCode::BrokerTransportFailure),
            "Receive failed: error:0A000412:SSL routines::sslv3 alert bad certificate",
        )
        .unwrap();
        assert!(mutual.fix.contains("ssl.certificate.location"), "{mutual:?}");
        let verify = classify(
            Some(RDKafkaErrorCode::SSL),
            "SSL handshake failed: error:0A000086:SSL routines::certificate verify failed",
        )
        .unwrap();
        assert!(verify.certificate);
        assert_eq!(
            classify(Some(RDKafkaErrorCode::BrokerTransportFailure), "Connection refused"),
            None
        );
    }
}
