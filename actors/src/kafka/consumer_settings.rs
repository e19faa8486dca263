//! The settings of the pipeline's Kafka consumer, in one place, each with
//! the reason it has its value.
//!
//! The goal they serve: a broker of the cluster dying (even the active
//! controller, or the group's coordinator) must not cost a rebalance. Kafka
//! itself needs 9–13 s to fence a dead broker and elect new leaders and a
//! new controller; while it does, the consumer's heartbeats can fail. With
//! a session timeout shorter than that, the group coordinator (once moved)
//! forgets the member, the consumer's partitions are revoked and it rejoins:
//! staging then stalled 22–53 s instead of Kafka's 9–13 s.

use rdkafka::config::ClientConfig;
use std::time::Duration;
use superstore_kafka_settings::KafkaSettings;

/// How long the group waits for a silent member before it gives its
/// partitions to others (`session.timeout.ms`), unless set otherwise.
///
/// 45 s (Kafka's own default since 3.0) is well above a broker failover
/// (9–13 s measured on a 3-broker cluster), so a failover costs no
/// rebalance. The trade-off: a pipeline instance that dies without leaving
/// its group (kill -9, a lost machine) holds its partitions until this
/// passes, so its records wait up to 45 s for another instance. A clean
/// stop (SIGTERM) leaves the group at once and costs nothing.
pub const DEFAULT_SESSION_TIMEOUT_MS: u32 = 45_000;

/// `heartbeat.interval.ms`: 3 s, so that about fifteen heartbeats fit in a
/// session; a coordinator that moved during a failover is found again (and
/// the member confirmed) long before the session could expire.
const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(3);

/// `reconnect.backoff.max.ms`: librdkafka backs off reconnects up to 10 s by
/// default, which could leave a restarted broker unused for that long. One
/// second is cheap: a refused connection on loopback or a LAN costs little.
const RECONNECT_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// `statistics.interval.ms`: the per-broker connection states, once a
/// second, from which the outage log learns that a broker is back.
const STATISTICS_INTERVAL: Duration = Duration::from_secs(1);

/// `fetch.queue.backoff.ms`: how long a full prefetch queue postpones the
/// next fetch; short, since the pipeline empties it in well under a second.
const FETCH_QUEUE_BACKOFF: Duration = Duration::from_millis(10);

/// The instance id of a long-running pipeline when none is given: one
/// instance per host and topic (`superstore-<hostname>-<topic>`).
///
/// The topic is part of it because Kafka keeps a static member's
/// assignment when the member comes back: one that came back subscribed to
/// another topic would be handed the partitions of the old one. Instances
/// that share a host and a topic need ids of their own (`--instance-id`).
pub fn default_instance_id(topic: &str) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_owned());
    format!("superstore-{host}-{topic}")
}

/// What the pipeline's consumer is given from its command line.
pub(crate) struct ConsumerSettings<'a> {
    /// The brokers and the user's settings (security, tuning).
    pub(crate) kafka: &'a KafkaSettings,
    pub(crate) group_id: &'a str,
    /// `group.instance.id`: this instance's stable name in its group
    /// (static membership, KIP-345), or `None` for a dynamic member.
    ///
    /// A member that comes back under the same name takes its partitions
    /// back at once, without a rebalance: a run restarted after a crash
    /// (kill -9, a lost machine) resumes in a second instead of waiting out
    /// the session timeout of the member it replaces. The trade-off: a
    /// static member does not leave its group when it stops, so the
    /// partitions of an instance that never comes back wait for the
    /// session timeout before they move to another.
    pub(crate) instance_id: Option<&'a str>,
    pub(crate) session_timeout: Duration,
    pub(crate) max_poll_interval: Duration,
    /// The size of librdkafka's prefetch queue, in KiB.
    pub(crate) prefetch_kbytes: u64,
}

impl ConsumerSettings<'_> {
    /// The session timeout in use: librdkafka refuses one above
    /// `max.poll.interval.ms`, so a shorter poll interval caps it.
    pub(crate) fn effective_session_timeout(&self) -> Duration {
        self.session_timeout.min(self.max_poll_interval)
    }

    pub(crate) fn client_config(&self) -> ClientConfig {
        self.kafka.client_config(|config| self.set_ours(config))
    }

    fn set_ours(&self, config: &mut ClientConfig) {
        let millis = |d: Duration| d.as_millis().to_string();
        config
            .set("group.id", self.group_id)
            // Offsets live in PostgreSQL, in the transaction of the rows;
            // Kafka's are written for lag tools only.
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            // Every position is set from PostgreSQL; one outside the log is an
            // error to report, never a silent jump to either end.
            .set("auto.offset.reset", "error")
            // Eager (range), not cooperative-sticky: the resume code positions
            // every assigned partition from PostgreSQL on each assignment and
            // treats a revoke as the loss of all of them. With the session
            // timeout above, a broker failover causes no rebalance at all, so
            // an incremental protocol would save nothing there.
            .set("partition.assignment.strategy", "range")
            .set("session.timeout.ms", millis(self.effective_session_timeout()))
            .set("heartbeat.interval.ms", millis(self.heartbeat_interval()))
            .set("max.poll.interval.ms", millis(self.max_poll_interval))
            .set("reconnect.backoff.max.ms", millis(RECONNECT_BACKOFF_MAX))
            .set("statistics.interval.ms", millis(STATISTICS_INTERVAL))
            // librdkafka's prefetch queue counts against memory too.
            .set("queued.max.messages.kbytes", self.prefetch_kbytes.to_string())
            // Once that queue is full, librdkafka postpones a partition's
            // next fetch by this much (1 s by default), and a pipeline that
            // drains the queue faster than that sits idle until it passes:
            // stalls of a few hundred ms that cost a sixth of the throughput.
            .set("fetch.queue.backoff.ms", millis(FETCH_QUEUE_BACKOFF));
        if let Some(instance_id) = self.instance_id {
            config.set("group.instance.id", instance_id);
        }
    }

    /// At most a third of the session (Kafka's rule of thumb), so that a
    /// short session asked for on the command line still gets heartbeats.
    fn heartbeat_interval(&self) -> Duration {
        HEARTBEAT_INTERVAL.min(self.effective_session_timeout() / 3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(session: u64, poll: u64) -> ConsumerSettings<'static> {
        static KAFKA: std::sync::OnceLock<KafkaSettings> = std::sync::OnceLock::new();
        ConsumerSettings {
            kafka: KAFKA.get_or_init(|| KafkaSettings::default().with_bootstrap("127.0.0.1:1")),
            group_id: "g",
            instance_id: Some("host-a"),
            session_timeout: Duration::from_millis(session),
            max_poll_interval: Duration::from_millis(poll),
            prefetch_kbytes: 1024,
        }
    }

    #[test]
    fn an_instance_with_an_id_is_a_static_member_and_one_without_is_not() {
        assert_eq!(
            settings(45_000, 300_000).client_config().get("group.instance.id"),
            Some("host-a")
        );
        let dynamic = ConsumerSettings { instance_id: None, ..settings(45_000, 300_000) };
        assert_eq!(dynamic.client_config().get("group.instance.id"), None);
        let id = default_instance_id("superstore.sales");
        assert!(id.starts_with("superstore-") && id.ends_with("-superstore.sales"), "{id}");
    }

    #[test]
    fn the_default_session_outlasts_a_broker_failover() {
        let config = settings(45_000, 300_000).client_config();
        assert_eq!(config.get("session.timeout.ms"), Some("45000"));
        assert_eq!(config.get("heartbeat.interval.ms"), Some("3000"));
    }

    #[test]
    fn a_shorter_poll_interval_caps_the_session_and_the_heartbeat_follows() {
        let config = settings(45_000, 6_000).client_config();
        assert_eq!(config.get("session.timeout.ms"), Some("6000"));
        assert_eq!(config.get("heartbeat.interval.ms"), Some("2000"));
    }
}
