//! What an operator reads while a broker is down: one WARN when it becomes
//! unreachable, one INFO when it answers again with the number of failed
//! attempts and the time it was away, and nothing in between.
//!
//! Left alone, librdkafka reports every failed reconnect twice at ERROR (a
//! log line and a global error), which the consumer's poll then repeats:
//! 180–330 lines per outage. Here the log lines about connections go to
//! DEBUG, the global transport errors feed [`BrokerOutages`], and the
//! client's statistics (per-broker connection states) tell when a broker
//! is back.

use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// A broker that stopped answering.
struct Down {
    since: Instant,
    failed_attempts: u64,
}

/// The brokers this client currently cannot reach.
#[derive(Default)]
pub(crate) struct BrokerOutages {
    down: Mutex<HashMap<String, Down>>,
}

/// The part of librdkafka's statistics read here.
#[derive(Deserialize)]
struct Statistics {
    #[serde(default)]
    brokers: HashMap<String, BrokerState>,
}

#[derive(Deserialize)]
struct BrokerState {
    /// `host:port`, shared by a broker's connections (the coordinator's too).
    #[serde(default)]
    nodename: String,
    state: String,
}

/// The errors that mean "this broker (or all of them) cannot be reached".
fn is_unreachable(code: RDKafkaErrorCode) -> bool {
    matches!(
        code,
        RDKafkaErrorCode::BrokerTransportFailure
            | RDKafkaErrorCode::AllBrokersDown
            | RDKafkaErrorCode::Resolve
    )
}

/// The broker (`host:port`) a transport error names: librdkafka puts it
/// first (as `host:port/id`), or after the role of the connection
/// (`GroupCoordinator: host:port: …`).
fn broker_of(reason: &str) -> &str {
    let is_broker = |part: &&str| part.contains(':') && !part.contains(' ');
    let named = reason.split(": ").take(2).find(is_broker);
    named.map_or("all brokers", |broker| broker.split('/').next().unwrap_or(broker))
}

impl BrokerOutages {
    /// Takes librdkafka's global error: a transport failure is counted (and
    /// logged once per outage); anything else is logged as it comes.
    pub(crate) fn error(&self, error: &KafkaError, reason: &str) {
        match error.rdkafka_error_code() {
            Some(code) if is_unreachable(code) => self.failed(broker_of(reason), reason),
            _ => tracing::error!(%error, reason, "Kafka client error"),
        }
    }

    fn failed(&self, broker: &str, reason: &str) {
        let mut down = self.down.lock().expect("outage lock");
        match down.get_mut(broker) {
            Some(outage) => outage.failed_attempts += 1,
            None => {
                tracing::warn!(
                    broker,
                    reason,
                    "Kafka broker unreachable; retrying, one line follows when it is back"
                );
                down.insert(broker.to_owned(), Down { since: Instant::now(), failed_attempts: 1 });
            }
        }
    }

    /// Takes librdkafka's statistics (JSON): every broker that was down and
    /// is connected again gets its INFO line.
    pub(crate) fn statistics(&self, json: &[u8]) {
        let Ok(statistics) = serde_json::from_slice::<Statistics>(json) else { return };
        let mut down = self.down.lock().expect("outage lock");
        if down.is_empty() {
            return;
        }
        let up =
            |name: &str| statistics.brokers.values().any(|b| b.nodename == name && b.state == "UP");
        let any_up = statistics.brokers.values().any(|b| b.state == "UP");
        down.retain(|broker, outage| {
            let back = if broker == "all brokers" { any_up } else { up(broker) };
            if back {
                tracing::info!(
                    broker = broker.as_str(),
                    failed_attempts = outage.failed_attempts,
                    down_for_s = outage.since.elapsed().as_secs_f64(),
                    "Kafka broker reachable again"
                );
            }
            !back
        });
    }
}

/// librdkafka's own log lines: those about connections failing (facility
/// `FAIL`) go to DEBUG, since [`BrokerOutages`] reports the outage; the
/// rest keep their level.
pub(crate) fn librdkafka_log(level: RDKafkaLogLevel, facility: &str, message: &str) {
    match level {
        _ if facility == "FAIL" => tracing::debug!(target: "librdkafka", facility, "{message}"),
        RDKafkaLogLevel::Emerg
        | RDKafkaLogLevel::Alert
        | RDKafkaLogLevel::Critical
        | RDKafkaLogLevel::Error => tracing::error!(target: "librdkafka", facility, "{message}"),
        RDKafkaLogLevel::Warning => tracing::warn!(target: "librdkafka", facility, "{message}"),
        RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => {
            tracing::info!(target: "librdkafka", facility, "{message}");
        }
        RDKafkaLogLevel::Debug => tracing::debug!(target: "librdkafka", facility, "{message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transport(reason: &str) -> (KafkaError, String) {
        (KafkaError::Global(RDKafkaErrorCode::BrokerTransportFailure), reason.to_owned())
    }

    #[test]
    fn an_outage_is_counted_under_its_broker_until_the_statistics_say_it_is_up() {
        let outages = BrokerOutages::default();
        let (error, reason) = transport("127.0.0.1:9092/2: Connect to ipv4#127.0.0.1:9092 failed");
        let (_, coordinator) = transport("GroupCoordinator: 127.0.0.1:9092: Connect failed");
        outages.error(&error, &coordinator);
        for _ in 0..4 {
            outages.error(&error, &reason);
        }
        let attempts = |o: &BrokerOutages| {
            o.down.lock().unwrap().get("127.0.0.1:9092").map(|d| d.failed_attempts)
        };
        assert_eq!(attempts(&outages), Some(5));
        outages.statistics(
            br#"{"brokers":{"127.0.0.1:9092/2":{"nodename":"127.0.0.1:9092","state":"CONNECT"}}}"#,
        );
        assert_eq!(attempts(&outages), Some(5), "still down");
        outages.statistics(
            br#"{"brokers":{"127.0.0.1:9092/2":{"nodename":"127.0.0.1:9092","state":"UP"}}}"#,
        );
        assert_eq!(attempts(&outages), None, "back");
    }

    #[test]
    fn a_reason_without_a_broker_counts_as_all_brokers() {
        assert_eq!(broker_of("3/3 brokers are down"), "all brokers");
        assert_eq!(broker_of("127.0.0.1:1/1: Disconnected"), "127.0.0.1:1");
        assert_eq!(broker_of("GroupCoordinator: 127.0.0.1:1: Disconnected"), "127.0.0.1:1");
    }
}
