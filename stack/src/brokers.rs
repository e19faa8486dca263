//! The stack's Kafka: one broker (the default), or with `up --brokers N` a
//! local cluster of N nodes in one KRaft quorum, each broker and controller
//! at once, from the same jars. The cluster is how failover is tried on one
//! machine: kill a node, watch the others carry on.
//!
//! Ports: node i (from 0) listens on `SUPERSTORE_KAFKA_PORT + 2i` and its
//! controller on `SUPERSTORE_KAFKA_CONTROLLER_PORT + 2i`, so the defaults
//! (59092, 59093) interleave without overlapping, and node 0 has the single
//! broker's ports. The two layouts keep their data apart (`kafka/` and
//! `kafka-cluster/node-N/`); the layout last started is remembered in
//! `kafka-brokers`, so that `up`, `status`, `env` and `down` need no flag.

use super::kafka::{ClusterQuorum, KafkaSecurity, LocalKafka, Quorum};
use super::ownership::User;
use super::security::{Security, MTLS_PORT_OFFSET, TLS_PORT_OFFSET};
use super::{ServiceStatus, StackError};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The most nodes a local cluster may have (ports stay within 2 × this).
pub const MAX_BROKERS: u16 = 9;

pub struct Brokers {
    home: PathBuf,
    port: u16,
    controller_port: u16,
}

impl Brokers {
    pub fn new(home: &Path, port: u16, controller_port: u16) -> Self {
        Brokers { home: home.to_owned(), port, controller_port }
    }

    fn layout_file(&self) -> PathBuf {
        self.home.join("kafka-brokers")
    }

    /// How many brokers the stack has: as last started, else one.
    pub fn count(&self) -> u16 {
        fs::read_to_string(self.layout_file())
            .ok()
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(1)
    }

    fn libs(&self) -> PathBuf {
        self.home.join("kafka").join("libs")
    }

    /// The single broker: plain, or the secure stack's, whose data is kept
    /// apart (`kafka-secure/`) since its storage holds its SCRAM users.
    fn single(&self, secure: bool) -> LocalKafka {
        let security = secure.then(|| {
            let security = Security::new(&self.home);
            let password = security.kafka_password().unwrap_or_else(|e| {
                tracing::warn!(error = %e, "no Kafka password: its clients will be refused");
                String::new()
            });
            KafkaSecurity { certificates: security.certificates(), password }
        });
        LocalKafka {
            dir: self.home.join(if secure { "kafka-secure" } else { "kafka" }),
            libs: self.libs(),
            port: self.port,
            controller_port: self.controller_port,
            node_id: 1,
            quorum: Quorum::Single,
            security,
        }
    }

    /// The nodes of the layout of `count` brokers.
    fn nodes(&self, count: u16) -> Vec<LocalKafka> {
        let libs = self.libs();
        if count <= 1 {
            return vec![self.single(Security::new(&self.home).is_secure())];
        }
        let cluster_dir = self.home.join("kafka-cluster");
        let quorum = ClusterQuorum {
            controller_ports: (0..count).map(|i| self.controller_port + 2 * i).collect(),
            ids_file: cluster_dir.join("ids.properties"),
        };
        (0..count)
            .map(|i| LocalKafka {
                dir: cluster_dir.join(format!("node-{}", i + 1)),
                libs: libs.clone(),
                port: self.port + 2 * i,
                controller_port: self.controller_port + 2 * i,
                node_id: i + 1,
                quorum: Quorum::Cluster(quorum.clone()),
                security: None,
            })
            .collect()
    }

    /// The running layout's nodes.
    fn current(&self) -> Vec<LocalKafka> {
        self.nodes(self.count())
    }

    /// Every broker's address, comma-separated: what clients bootstrap from.
    pub fn bootstrap(&self) -> String {
        self.current().iter().map(LocalKafka::bootstrap).collect::<Vec<_>>().join(",")
    }

    /// The directories a service user must be able to reach.
    pub fn dirs(&self, count: u16) -> Vec<PathBuf> {
        self.nodes(count).into_iter().map(|n| n.dir).collect()
    }

    /// Checks that `count` brokers can be had: one, or three to
    /// [`MAX_BROKERS`] (a replication factor of 3 needs three); one only when
    /// `secure`, its `SSL` listeners clear of the controller; and no node of
    /// the other layout running.
    pub fn check(&self, count: u16, secure: bool) -> Result<(), StackError> {
        if secure && count != 1 {
            return Err(StackError::Usage(format!(
                "--brokers {count} --secure: the secure local stack has one broker"
            )));
        }
        let ssl_ports = [MTLS_PORT_OFFSET, TLS_PORT_OFFSET].map(|o| self.port.checked_add(o));
        if secure && ssl_ports.contains(&Some(self.controller_port)) {
            return Err(StackError::Usage(format!(
                "the secure broker's SSL listeners use SUPERSTORE_KAFKA_PORT + {MTLS_PORT_OFFSET} \
                 and + {TLS_PORT_OFFSET}; move SUPERSTORE_KAFKA_CONTROLLER_PORT (now {}) off them",
                self.controller_port
            )));
        }
        if count == 2 || count == 0 || count > MAX_BROKERS {
            return Err(StackError::Usage(format!(
                "--brokers {count}: a local cluster has 3 to {MAX_BROKERS} brokers (replication \
                 factor 3), or 1 for the single broker"
            )));
        }
        let (low, high) =
            (self.port.min(self.controller_port), self.port.max(self.controller_port));
        if count > 1 && (high - low) % 2 == 0 && high - low < 2 * count {
            return Err(StackError::Usage(format!(
                "the broker ports (from {}) and the controller ports (from {}) of {count} nodes \
                 overlap; set SUPERSTORE_KAFKA_CONTROLLER_PORT to SUPERSTORE_KAFKA_PORT + 1",
                self.port, self.controller_port
            )));
        }
        let other = self.count();
        if other != count && self.nodes(other).iter().any(|n| n.daemon().running_pid().is_some()) {
            return Err(StackError::Usage(format!(
                "the stack runs {other} broker(s); run `superstore down` before `superstore up \
                 --brokers {count}` (each layout keeps its data)"
            )));
        }
        Ok(())
    }

    /// Starts the `count` nodes that are not running, remembers the layout,
    /// and waits until every node answers with the whole cluster.
    pub fn start(
        &self,
        count: u16,
        timeout: Duration,
        user: Option<&User>,
    ) -> Result<(), StackError> {
        fs::write(self.layout_file(), format!("{count}\n"))
            .map_err(|e| StackError::io("record the number of brokers", e))?;
        let nodes = self.nodes(count);
        // All first: a cluster node waits for its quorum before it answers.
        for node in &nodes {
            node.launch(user)?;
        }
        for node in &nodes {
            if let Err(waiting) = node.wait_ready(timeout, nodes.len()) {
                // A node waiting for its quorum only shows what it waits
                // for; a node that died shows why, so name that one first.
                return Err(nodes.iter().find_map(LocalKafka::exit_report).unwrap_or(waiting));
            }
        }
        Ok(())
    }

    /// Stops every node of both layouts that runs, all at once: a node
    /// stopped last, alone, would wait in vain for a quorum to let it shut
    /// down cleanly. Returns whether one had to be killed.
    pub fn stop(&self) -> bool {
        let mut nodes: Vec<LocalKafka> = vec![self.single(false), self.single(true)];
        nodes.extend(self.nodes(self.count().max(3)));
        std::thread::scope(|scope| {
            let stops: Vec<_> = nodes.iter().map(|node| scope.spawn(|| node.stop())).collect();
            let killed: Vec<bool> = stops.into_iter().map(|s| s.join().unwrap_or(true)).collect();
            killed.contains(&true)
        })
    }

    /// One line per broker: whether it answers, and how many brokers it sees.
    pub fn status(&self) -> Vec<ServiceStatus> {
        let nodes = self.current();
        let cluster = nodes.len() > 1;
        nodes
            .iter()
            .map(|node| {
                let service =
                    if cluster { format!("kafka-{}", node.node_id) } else { "kafka".into() };
                let settings = node.client_settings();
                let (healthy, detail) =
                    match super::kafka::broker_answers(&settings, Duration::from_secs(3)) {
                        Ok(brokers) => (true, format!("{brokers} broker(s) answered")),
                        Err(e) => (false, e),
                    };
                ServiceStatus { service, address: node.bootstrap(), healthy, detail }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brokers(port: u16, controller_port: u16) -> (Brokers, PathBuf) {
        let home = std::env::temp_dir().join(format!("brokers-test-{port}-{}", std::process::id()));
        fs::create_dir_all(&home).unwrap();
        (Brokers::new(&home, port, controller_port), home)
    }

    #[test]
    fn a_cluster_has_one_or_three_to_nine_brokers_on_interleaved_ports() {
        let (brokers, home) = brokers(59092, 59093);
        for count in [0, 2, MAX_BROKERS + 1] {
            assert!(matches!(brokers.check(count, false), Err(StackError::Usage(_))), "{count}");
        }
        for count in [1, 3, MAX_BROKERS] {
            assert!(brokers.check(count, false).is_ok(), "{count}");
        }
        assert!(brokers.check(1, true).is_ok());
        assert!(matches!(brokers.check(3, true), Err(StackError::Usage(_))));
        let ports: Vec<(u16, u16)> =
            brokers.nodes(3).iter().map(|n| (n.port, n.controller_port)).collect();
        assert_eq!(ports, [(59092, 59093), (59094, 59095), (59096, 59097)]);
        fs::write(brokers.layout_file(), "3\n").unwrap();
        assert_eq!(brokers.bootstrap(), "127.0.0.1:59092,127.0.0.1:59094,127.0.0.1:59096");
        fs::remove_dir_all(home).unwrap();
    }

    #[test]
    fn overlapping_broker_and_controller_ports_are_refused() {
        let (brokers, home) = brokers(59192, 59194);
        assert!(brokers.check(1, false).is_ok(), "one node uses two ports");
        assert!(matches!(brokers.check(3, false), Err(StackError::Usage(_))));
        assert!(matches!(brokers.check(1, true), Err(StackError::Usage(_))), "an SSL listener");
        fs::remove_dir_all(home).unwrap();
    }
}
