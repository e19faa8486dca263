//! One local Apache Kafka node: broker and controller in one JVM (KRaft) on
//! loopback ports, from jars that Maven resolves from Maven Central on first
//! use. No Kafka distribution is downloaded or vendored. Alone, it is the
//! single-broker stack; several of them form the local cluster (see
//! [`super::brokers`]).

use super::ownership::{give_tree, User};
use super::process::{wait_until, Daemon};
use super::secrets::write_secret;
use super::security::{CLIENT_USER, MTLS_PORT_OFFSET, TLS_PORT_OFFSET};
use super::tls::Certificates;
use super::StackError;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use superstore_kafka_settings::KafkaSettings;

/// The Maven project that names the broker jars (see its comments).
const POM: &str = include_str!("../resources/kafka/pom.xml");
const LOG4J2: &str = include_str!("../resources/kafka/log4j2.properties");
/// Small heap: this is a laptop broker, not a production one.
const HEAP: [&str; 2] = ["-Xms256m", "-Xmx768m"];

pub struct LocalKafka {
    pub dir: PathBuf,
    /// The broker jars, shared by every node of the stack.
    pub libs: PathBuf,
    pub port: u16,
    pub controller_port: u16,
    pub node_id: u16,
    pub quorum: Quorum,
    /// Set on the secure stack's node (see `super::security`).
    pub security: Option<KafkaSecurity>,
}

/// What the secure node needs: its certificates and its SASL password.
pub struct KafkaSecurity {
    pub certificates: Certificates,
    pub password: String,
}

/// How a node finds its controllers.
pub enum Quorum {
    /// The single-broker stack: a static quorum of itself.
    Single,
    /// A node of the local cluster: it reaches its controllers by their
    /// addresses, and its storage is formatted with the initial quorum.
    Cluster(ClusterQuorum),
}

/// What every node of the local cluster shares.
#[derive(Clone)]
pub struct ClusterQuorum {
    /// The controller ports of all nodes, in node order (node ids from 1).
    pub controller_ports: Vec<u16>,
    /// The file that keeps the cluster id and the nodes' directory ids.
    pub ids_file: PathBuf,
}

impl LocalKafka {
    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The settings a client of this node needs: none on the plain stack;
    /// on the secure one, SASL_SSL with SCRAM-SHA-512 and the stack's CA.
    pub fn client_settings(&self) -> KafkaSettings {
        let plain = KafkaSettings::default();
        let settings = match &self.security {
            None => Ok(plain),
            Some(security) => KafkaSettings::from_program([
                ("security.protocol", "SASL_SSL".to_owned()),
                ("sasl.mechanisms", "SCRAM-SHA-512".to_owned()),
                ("sasl.username", CLIENT_USER.to_owned()),
                ("sasl.password", security.password.clone()),
                ("ssl.ca.location", security.certificates.ca().to_string_lossy().into_owned()),
            ]),
        };
        // Settings of our own making that librdkafka refused: a bug, which
        // the broker probe then reports as refused.
        settings.unwrap_or(KafkaSettings::default()).with_bootstrap(&self.bootstrap())
    }

    fn libs(&self) -> PathBuf {
        self.libs.clone()
    }

    fn config_file(&self) -> PathBuf {
        self.dir.join("server.properties")
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    pub fn daemon(&self) -> Daemon {
        Daemon {
            pid_file: self.dir.join("kafka.pid"),
            log_file: self.dir.join("kafka.log"),
            // The broker of this stack: its main class and its own config file.
            identity: vec!["kafka.Kafka".into(), self.config_file().to_string_lossy().into()],
        }
    }

    fn has_jars(&self) -> bool {
        fs::read_dir(self.libs())
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .any(|e| e.file_name().to_string_lossy().starts_with("kafka_2.13-"))
            })
            .unwrap_or(false)
    }

    /// Resolves the broker jars with Maven, once.
    pub fn fetch_jars(&self) -> Result<(), StackError> {
        if self.has_jars() {
            return Ok(());
        }
        let jars_home = self.libs.parent().unwrap_or(&self.dir);
        fs::create_dir_all(jars_home)
            .map_err(|e| StackError::io("create the Kafka directory", e))?;
        let pom = jars_home.join("pom.xml");
        fs::write(&pom, POM).map_err(|e| StackError::io("write the Kafka pom.xml", e))?;
        eprintln!("fetching the Apache Kafka broker jars with Maven (first start only)…");
        let output = Command::new("mvn")
            .args(["-B", "-q", "-f"])
            .arg(&pom)
            .arg("dependency:copy-dependencies")
            .arg(format!("-DoutputDirectory={}", self.libs().display()))
            .arg("-DincludeScope=runtime")
            .output()
            .map_err(|e| StackError::Missing {
                what: format!("Maven (`mvn`): {e}"),
                fix: "install Maven (Debian: apt-get install maven) and a JDK 17".into(),
            })?;
        if !output.status.success() || !self.has_jars() {
            return Err(StackError::Start {
                service: "Kafka",
                detail: format!(
                    "Maven could not resolve the broker jars:\n{}",
                    String::from_utf8_lossy(&output.stdout)
                ),
            });
        }
        Ok(())
    }

    fn java(&self) -> Command {
        let java = std::env::var_os(crate::variables::JAVA_HOME)
            .map(|home| Path::new(&home).join("bin/java"))
            .filter(|p| p.is_file())
            .unwrap_or_else(|| PathBuf::from("java"));
        let mut command = Command::new(java);
        command
            .args(HEAP)
            .arg(format!(
                "-Dlog4j2.configurationFile={}",
                self.dir.join("log4j2.properties").display()
            ))
            .arg(format!("-Dkafka.logs.dir={}", self.dir.display()))
            .arg("-cp")
            .arg(format!("{}/*", self.libs().display()));
        command
    }

    /// The broker's settings. `group.initial.rebalance.delay.ms=0`: the
    /// broker's default (3 s) holds a new consumer group's first join in
    /// case more members arrive, which only a multi-member group deploying
    /// all at once gains from; a local pipeline is one member, and the delay
    /// would be the whole of its start-up time (`scripts/bench.sh`'s
    /// start-up figure). Clusters keep their own setting.
    fn write_config(&self) -> Result<(), StackError> {
        let (port, controller) = (self.port, self.controller_port);
        if self.security.is_some() {
            return self.write_secure_config();
        }
        let quorum = match &self.quorum {
            Quorum::Single => format!(
                "node.id=1\n\
                 controller.quorum.voters=1@127.0.0.1:{controller}\n\
                 advertised.listeners=PLAINTEXT://127.0.0.1:{port}\n"
            ),
            Quorum::Cluster(cluster) => format!(
                "node.id={node}\n\
                 controller.quorum.bootstrap.servers={servers}\n\
                 advertised.listeners=PLAINTEXT://127.0.0.1:{port},\
                 CONTROLLER://127.0.0.1:{controller}\n",
                node = self.node_id,
                servers = cluster
                    .controller_ports
                    .iter()
                    .map(|p| format!("127.0.0.1:{p}"))
                    .collect::<Vec<_>>()
                    .join(","),
            ),
        };
        let config = format!(
            "# Written by `superstore up`; edits are overwritten.\n\
             process.roles=broker,controller\n\
             {quorum}\
             listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}\n\
             controller.listener.names=CONTROLLER\n\
             inter.broker.listener.name=PLAINTEXT\n\
             listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT\n\
             {common}",
            common = self.common_settings(),
        );
        fs::write(self.config_file(), config)
            .map_err(|e| StackError::io("write server.properties", e))?;
        self.write_log_config()
    }

    fn write_log_config(&self) -> Result<(), StackError> {
        fs::write(self.dir.join("log4j2.properties"), LOG4J2)
            .map_err(|e| StackError::io("write log4j2.properties", e))
    }

    /// What every node's settings end with: storage, topics, groups.
    fn common_settings(&self) -> String {
        format!(
            "log.dirs={data}\n\
             num.partitions=3\n\
             offsets.topic.num.partitions=10\n\
             {replication}\
             group.initial.rebalance.delay.ms=0\n\
             log.retention.hours=-1\n\
             auto.create.topics.enable=true\n",
            data = self.data_dir().display(),
            replication = self.replication(),
        )
    }

    /// The secure node: clients on `SASL_SSL` (PLAIN and SCRAM), on `SSL`
    /// with a client certificate required (`MTLS`), and on `SSL` alone
    /// (`TLS`, also the listener the broker uses to reach itself); the
    /// controller's listener plaintext on loopback. The file holds the
    /// server's key and the PLAIN password, so it is 0600.
    fn write_secure_config(&self) -> Result<(), StackError> {
        let security = self.security.as_ref().expect("a secure node");
        let (port, controller) = (self.port, self.controller_port);
        let (mtls, tls) = (port + MTLS_PORT_OFFSET, port + TLS_PORT_OFFSET);
        let pem = |path: PathBuf| -> Result<String, StackError> {
            let text = fs::read_to_string(&path)
                .map_err(|e| StackError::io(format!("read {}", path.display()), e))?;
            // One property value: newlines as Java-properties escapes.
            Ok(text.trim().replace('\n', "\\n"))
        };
        let certificates = &security.certificates;
        let scram = "org.apache.kafka.common.security.scram.ScramLoginModule required;";
        let config = format!(
            "# Written by `superstore up --secure`; edits are overwritten.\n\
             process.roles=broker,controller\n\
             node.id=1\n\
             controller.quorum.voters=1@127.0.0.1:{controller}\n\
             listeners=SASL_SSL://127.0.0.1:{port},MTLS://127.0.0.1:{mtls},\
             TLS://127.0.0.1:{tls},CONTROLLER://127.0.0.1:{controller}\n\
             advertised.listeners=SASL_SSL://127.0.0.1:{port},MTLS://127.0.0.1:{mtls},\
             TLS://127.0.0.1:{tls}\n\
             listener.security.protocol.map=SASL_SSL:SASL_SSL,MTLS:SSL,TLS:SSL,\
             CONTROLLER:PLAINTEXT\n\
             controller.listener.names=CONTROLLER\n\
             inter.broker.listener.name=TLS\n\
             listener.name.mtls.ssl.client.auth=required\n\
             sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512\n\
             listener.name.sasl_ssl.plain.sasl.jaas.config=\
             org.apache.kafka.common.security.plain.PlainLoginModule required \
             user_{CLIENT_USER}=\"{password}\";\n\
             listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config={scram}\n\
             listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config={scram}\n\
             ssl.keystore.type=PEM\n\
             ssl.keystore.certificate.chain={chain}\n\
             ssl.keystore.key={key}\n\
             ssl.truststore.type=PEM\n\
             ssl.truststore.certificates={ca}\n\
             {common}",
            password = security.password,
            chain = pem(certificates.server_certificate())?,
            key = pem(certificates.server_key())?,
            ca = pem(certificates.ca())?,
            common = self.common_settings(),
        );
        let _ = fs::remove_file(self.config_file());
        write_secret(&self.config_file(), &config)
            .map_err(|e| StackError::io("write server.properties", e))?;
        self.write_log_config()
    }

    /// Replication: none on the single broker; on the cluster, every topic
    /// (the internal ones too) on three brokers, and a write acknowledged
    /// by all (`acks=all`) is on at least two, so one broker may die.
    fn replication(&self) -> &'static str {
        match self.quorum {
            Quorum::Single => {
                "offsets.topic.replication.factor=1\n\
                 transaction.state.log.replication.factor=1\n\
                 transaction.state.log.min.isr=1\n\
                 share.coordinator.state.topic.replication.factor=1\n\
                 share.coordinator.state.topic.min.isr=1\n"
            }
            Quorum::Cluster(_) => {
                "default.replication.factor=3\n\
                 min.insync.replicas=2\n\
                 offsets.topic.replication.factor=3\n\
                 transaction.state.log.replication.factor=3\n\
                 transaction.state.log.min.isr=2\n\
                 share.coordinator.state.topic.replication.factor=3\n\
                 share.coordinator.state.topic.min.isr=2\n"
            }
        }
    }

    /// Formats the KRaft storage once: the single broker with a cluster id of
    /// Kafka's making; a cluster node with the cluster's ids and the
    /// initial quorum (`--initial-controllers`), the same on every node.
    fn format_storage(&self) -> Result<(), StackError> {
        if self.data_dir().join("meta.properties").exists() {
            return Ok(());
        }
        let config = self.config_file().to_string_lossy().into_owned();
        let mut args = vec!["kafka.tools.StorageTool", "format", "--ignore-formatted", "-c"];
        args.push(&config);
        let ids = match &self.quorum {
            Quorum::Single => (self.random_uuid()?, None),
            Quorum::Cluster(cluster) => {
                let ids = self.cluster_ids(cluster)?;
                (ids.cluster_id, Some(ids.initial_controllers))
            }
        };
        args.extend(["-t", &ids.0]);
        if let Some(initial) = &ids.1 {
            args.extend(["--initial-controllers", initial]);
        }
        let Some(security) = &self.security else {
            self.run_tool(&args)?;
            return Ok(());
        };
        // The SCRAM credentials of the client user, in the cluster's
        // metadata from the start (KRaft has no ZooKeeper to add them to).
        let credentials: Vec<String> = ["SCRAM-SHA-256", "SCRAM-SHA-512"]
            .iter()
            .map(|m| format!("{m}=[name={CLIENT_USER},password={}]", security.password))
            .collect();
        for credential in &credentials {
            args.extend(["--add-scram", credential]);
        }
        self.run_tool(&args).map(drop).map_err(|e| match e {
            StackError::Start { service, detail } => {
                StackError::Start { service, detail: detail.replace(&security.password, "***") }
            }
            other => other,
        })
    }

    fn random_uuid(&self) -> Result<String, StackError> {
        Ok(self.run_tool(&["kafka.tools.StorageTool", "random-uuid"])?.trim().to_owned())
    }

    /// The cluster's ids, made once and kept in the cluster's ids file so
    /// that a node formatted later (its data deleted) joins the same cluster.
    fn cluster_ids(&self, cluster: &ClusterQuorum) -> Result<ClusterIds, StackError> {
        if let Ok(text) = fs::read_to_string(&cluster.ids_file) {
            let value = |key: &str| {
                text.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix('=')).map(str::to_owned)
            };
            if let (Some(cluster_id), Some(initial_controllers)) =
                (value("cluster.id"), value("initial.controllers"))
            {
                return Ok(ClusterIds { cluster_id, initial_controllers });
            }
        }
        let cluster_id = self.random_uuid()?;
        let mut voters = Vec::new();
        for (index, port) in cluster.controller_ports.iter().enumerate() {
            voters.push(format!("{}@127.0.0.1:{port}:{}", index + 1, self.random_uuid()?));
        }
        let ids = ClusterIds { cluster_id, initial_controllers: voters.join(",") };
        let text = format!(
            "# Written by `superstore up --brokers N`: the local cluster's ids.\n\
             cluster.id={}\ninitial.controllers={}\n",
            ids.cluster_id, ids.initial_controllers
        );
        fs::write(&cluster.ids_file, text)
            .map_err(|e| StackError::io("write the cluster's ids", e))?;
        Ok(ids)
    }

    fn run_tool(&self, args: &[&str]) -> Result<String, StackError> {
        let output = self.java().args(args).output().map_err(|e| StackError::Missing {
            what: format!("Java (`java`): {e}"),
            fix: "install a JDK 17 (Debian: apt-get install openjdk-17-jdk-headless), \
                  or set JAVA_HOME"
                .into(),
        })?;
        if !output.status.success() {
            return Err(StackError::Start {
                service: "Kafka",
                detail: format!(
                    "{} failed: {}{}",
                    args.join(" "),
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                ),
            });
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Starts the node if it is not running (as `user` if one is given: its
    /// data is handed to it first). Returns without waiting.
    pub fn launch(&self, user: Option<&User>) -> Result<(), StackError> {
        let daemon = self.daemon();
        if daemon.running_pid().is_some() {
            return Ok(());
        }
        fs::create_dir_all(&self.dir)
            .map_err(|e| StackError::io("create the Kafka directory", e))?;
        self.fetch_jars()?;
        self.write_config()?;
        self.format_storage()?;
        if let Some(user) = user {
            give_tree(&self.data_dir(), user)?;
            // The secure node's file holds secrets (0600): its reader must own it.
            give_tree(&self.config_file(), user)?;
        }
        let mut command = self.java();
        // The JVM wants a home; the service user has none of its own.
        command.arg("kafka.Kafka").arg(self.config_file()).env("HOME", &self.dir);
        daemon.spawn(command, user).map_err(|e| StackError::io("start the Kafka broker", e))?;
        Ok(())
    }

    /// Waits until the node answers metadata requests naming `brokers`
    /// brokers (the whole cluster), or its process exits.
    pub fn wait_ready(&self, timeout: Duration, brokers: usize) -> Result<(), StackError> {
        let failed = |detail: String| self.start_failure(&detail);
        wait_until(timeout, || {
            if let Some(exited) = self.exit_report() {
                return Err(exited);
            }
            match broker_answers(&self.client_settings(), Duration::from_secs(3)) {
                Ok(n) if n >= brokers => Ok(()),
                Ok(n) => Err(failed(format!("{n} of {brokers} brokers registered"))),
                Err(e) => Err(failed(e)),
            }
        })
    }

    /// Why the node failed to start, if its process has exited: its log's
    /// last lines say why (a port taken, a broken configuration…).
    pub fn exit_report(&self) -> Option<StackError> {
        self.daemon().exited().then(|| self.start_failure("the broker exited"))
    }

    fn start_failure(&self, detail: &str) -> StackError {
        StackError::Start {
            service: "Kafka",
            detail: format!("node {}: {detail}\n{}", self.node_id, self.daemon().log_tail(30)),
        }
    }

    pub fn stop(&self) -> bool {
        // A clean shutdown writes the KRaft snapshot; give it time.
        self.daemon().stop(Duration::from_secs(60))
    }
}

/// The ids a cluster's nodes are formatted with.
struct ClusterIds {
    cluster_id: String,
    initial_controllers: String,
}

/// Asks a broker for the cluster metadata with `settings` (the node's
/// own); the number of brokers that answered, or why none did. Blocking.
pub fn broker_answers(settings: &KafkaSettings, timeout: Duration) -> Result<usize, String> {
    superstore_kafka_settings::probe(settings, timeout).map_err(|e| e.to_string())
}
