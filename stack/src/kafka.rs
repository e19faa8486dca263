//! The local Apache Kafka broker: a single KRaft node (broker and controller
//! in one JVM) on loopback ports, from jars that Maven resolves from Maven
//! Central on first use. No Kafka distribution is downloaded or vendored.

use super::ownership::{give_tree, User};
use super::process::{wait_until, Daemon};
use super::StackError;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The Maven project that names the broker jars (see its comments).
const POM: &str = include_str!("../resources/kafka/pom.xml");
const LOG4J2: &str = include_str!("../resources/kafka/log4j2.properties");
/// Small heap: this is a laptop broker, not a production one.
const HEAP: [&str; 2] = ["-Xms256m", "-Xmx768m"];

pub struct LocalKafka {
    pub dir: PathBuf,
    pub port: u16,
    pub controller_port: u16,
}

impl LocalKafka {
    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn libs(&self) -> PathBuf {
        self.dir.join("libs")
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
        fs::create_dir_all(&self.dir)
            .map_err(|e| StackError::io("create the Kafka directory", e))?;
        let pom = self.dir.join("pom.xml");
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
        let java = std::env::var_os("JAVA_HOME")
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
    /// was the whole of its start-up time (the issue of `scripts/bench.sh`'s
    /// start-up figure). Clusters keep their own setting.
    fn write_config(&self) -> Result<(), StackError> {
        let config = format!(
            "# Written by `superstore up`; edits are overwritten.\n\
             process.roles=broker,controller\n\
             node.id=1\n\
             controller.quorum.voters=1@127.0.0.1:{controller}\n\
             listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}\n\
             advertised.listeners=PLAINTEXT://127.0.0.1:{port}\n\
             controller.listener.names=CONTROLLER\n\
             inter.broker.listener.name=PLAINTEXT\n\
             listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT\n\
             log.dirs={data}\n\
             num.partitions=3\n\
             offsets.topic.replication.factor=1\n\
             offsets.topic.num.partitions=10\n\
             transaction.state.log.replication.factor=1\n\
             transaction.state.log.min.isr=1\n\
             share.coordinator.state.topic.replication.factor=1\n\
             share.coordinator.state.topic.min.isr=1\n\
             group.initial.rebalance.delay.ms=0\n\
             log.retention.hours=-1\n\
             auto.create.topics.enable=true\n",
            port = self.port,
            controller = self.controller_port,
            data = self.data_dir().display(),
        );
        fs::write(self.config_file(), config)
            .map_err(|e| StackError::io("write server.properties", e))?;
        fs::write(self.dir.join("log4j2.properties"), LOG4J2)
            .map_err(|e| StackError::io("write log4j2.properties", e))
    }

    /// Formats the KRaft storage once, with a cluster id of Kafka's making.
    fn format_storage(&self) -> Result<(), StackError> {
        if self.data_dir().join("meta.properties").exists() {
            return Ok(());
        }
        let uuid = self.run_tool(&["kafka.tools.StorageTool", "random-uuid"])?;
        self.run_tool(&[
            "kafka.tools.StorageTool",
            "format",
            "--ignore-formatted",
            "-t",
            uuid.trim(),
            "-c",
            &self.config_file().to_string_lossy(),
        ])?;
        Ok(())
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

    /// Starts the broker if needed (as `user` if one is given: its data is
    /// handed to it first) and waits until it answers metadata requests.
    pub fn start(&self, timeout: Duration, user: Option<&User>) -> Result<(), StackError> {
        let daemon = self.daemon();
        if daemon.running_pid().is_none() {
            self.fetch_jars()?;
            self.write_config()?;
            self.format_storage()?;
            if let Some(user) = user {
                give_tree(&self.data_dir(), user)?;
            }
            let mut command = self.java();
            // The JVM wants a home; the service user has none of its own.
            command.arg("kafka.Kafka").arg(self.config_file()).env("HOME", &self.dir);
            daemon.spawn(command, user).map_err(|e| StackError::io("start the Kafka broker", e))?;
        }
        wait_until(timeout, || {
            if daemon.exited() {
                return Err(StackError::Start {
                    service: "Kafka",
                    detail: format!("the broker exited:\n{}", daemon.log_tail(30)),
                });
            }
            broker_answers(&self.bootstrap(), Duration::from_secs(3)).map(|_| ()).map_err(|e| {
                StackError::Start {
                    service: "Kafka",
                    detail: format!("{e}\n{}", daemon.log_tail(30)),
                }
            })
        })
    }

    pub fn stop(&self) -> bool {
        // A clean shutdown writes the KRaft snapshot; give it time.
        self.daemon().stop(Duration::from_secs(60))
    }
}

/// Asks the broker at `bootstrap` for the cluster metadata; the number of
/// brokers that answered, or why none did. Blocking.
pub fn broker_answers(bootstrap: &str, timeout: Duration) -> Result<usize, String> {
    use rdkafka::config::ClientConfig;
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("log_level", "3")
        .create()
        .map_err(|e| format!("cannot create a Kafka client: {e}"))?;
    let metadata = consumer
        .fetch_metadata(None, timeout)
        .map_err(|e| format!("cannot reach Kafka at {bootstrap}: {e}"))?;
    Ok(metadata.brokers().len())
}
