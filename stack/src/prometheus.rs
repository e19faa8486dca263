//! The local Prometheus (`superstore up --monitoring`): the installed
//! `prometheus` binary (Debian's package; `scripts/setup.sh` installs it),
//! on a loopback port, with its data under `.superstore/prometheus/`.
//!
//! Its configuration is written on every start from the addresses the
//! pipeline, the generator and the registry serve their metrics on, and
//! loads the project's alert rules (`deploy/prometheus/alerts.yml`,
//! compiled in, so the binary works from any directory). A Prometheus that
//! already runs is restarted with it (its data stays).

use super::ownership::{give_tree, User};
use super::process::{wait_until, Daemon};
use super::StackError;
use std::fmt::Write as _;
use std::fs;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// The alert rules, the same file the Docker stack's Prometheus loads.
const ALERT_RULES: &str = include_str!("../../deploy/prometheus/alerts.yml");
/// Short intervals: this Prometheus watches one laptop's runs.
const SCRAPE_INTERVAL: &str = "5s";

/// Where the processes Prometheus scrapes serve `/metrics`; None is not scraped.
#[derive(Debug, Clone, Default)]
pub struct ScrapeTargets {
    /// `superstore run`'s metrics address.
    pub pipeline: Option<SocketAddr>,
    /// `superstore generate`'s metrics address.
    pub generator: Option<SocketAddr>,
    /// The registry's `host:port` (the stack sets it to its own).
    pub registry: Option<String>,
    /// The CA of a registry served over HTTPS (the secure stack's).
    pub registry_ca: Option<PathBuf>,
}

pub struct LocalPrometheus {
    pub dir: PathBuf,
    pub port: u16,
}

impl LocalPrometheus {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn config_file(&self) -> PathBuf {
        self.dir.join("prometheus.yml")
    }

    pub fn daemon(&self) -> Daemon {
        Daemon {
            pid_file: self.dir.join("prometheus.pid"),
            log_file: self.dir.join("prometheus.log"),
            // The config path is this stack's own: another Prometheus never matches.
            // Prometheus with this stack's own config file.
            identity: vec![format!("--config.file={}", self.config_file().to_string_lossy())],
        }
    }

    /// Started by `up --monitoring` and not stopped since.
    pub fn is_wanted(&self) -> bool {
        self.daemon().pid_file.exists()
    }

    /// Writes the configuration, (re)starts Prometheus (as `user` if one is
    /// given: its data is handed to it first), and waits until it is ready.
    pub fn start(
        &self,
        targets: &ScrapeTargets,
        timeout: Duration,
        user: Option<&User>,
    ) -> Result<(), StackError> {
        fs::create_dir_all(self.dir.join("data"))
            .map_err(|e| StackError::io("create the Prometheus directory", e))?;
        fs::write(self.dir.join("alerts.yml"), ALERT_RULES)
            .map_err(|e| StackError::io("write the Prometheus alert rules", e))?;
        fs::write(self.config_file(), self.config(targets))
            .map_err(|e| StackError::io("write the Prometheus configuration", e))?;
        let daemon = self.daemon();
        // A restart, not a reload: the listen address may have changed too.
        daemon.stop(Duration::from_secs(15));
        if let Some(user) = user {
            give_tree(&self.dir.join("data"), user)?;
        }
        daemon.spawn(self.command()?, user).map_err(|e| StackError::io("start Prometheus", e))?;
        wait_until(timeout, || {
            if daemon.running_pid().is_none() {
                return Err(StackError::Start {
                    service: "prometheus",
                    detail: format!("it exited:\n{}", daemon.log_tail(20)),
                });
            }
            probe(&self.url())
        })
    }

    pub fn stop(&self) -> bool {
        self.daemon().stop(Duration::from_secs(15))
    }

    fn command(&self) -> Result<Command, StackError> {
        let binary = binary()?;
        let mut command = Command::new(binary);
        command
            .arg(format!("--config.file={}", self.config_file().display()))
            .arg(format!("--storage.tsdb.path={}", self.dir.join("data").display()))
            .arg("--storage.tsdb.retention.time=7d")
            .arg(format!("--web.listen-address=127.0.0.1:{}", self.port));
        Ok(command)
    }

    /// The configuration: one job per process that serves metrics.
    fn config(&self, targets: &ScrapeTargets) -> String {
        let mut text = format!(
            "# Written by `superstore up --monitoring` at every start: edit its settings instead.\n\
             global:\n  scrape_interval: {SCRAPE_INTERVAL}\n  \
             evaluation_interval: {SCRAPE_INTERVAL}\n\
             rule_files:\n  - alerts.yml\nscrape_configs:\n"
        );
        let jobs = [
            ("superstore-pipeline", targets.pipeline.map(|a| a.to_string())),
            ("superstore-generator", targets.generator.map(|a| a.to_string())),
            ("superstore-registry", targets.registry.clone()),
            ("prometheus", Some(format!("127.0.0.1:{}", self.port))),
        ];
        for (job, target) in jobs {
            if let Some(target) = target {
                let _ = write!(
                    text,
                    "  - job_name: {job}\n    static_configs:\n      - targets: [\"{target}\"]\n"
                );
                if let (true, Some(ca)) = (job == "superstore-registry", &targets.registry_ca) {
                    let ca = ca.display();
                    let _ =
                        write!(text, "    scheme: https\n    tls_config:\n      ca_file: {ca}\n");
                }
            }
        }
        text
    }
}

/// The Prometheus binary: `PROMETHEUS_BIN`, or `prometheus` on the PATH.
fn binary() -> Result<PathBuf, StackError> {
    if let Some(configured) = std::env::var_os(crate::variables::PROMETHEUS_BIN) {
        return Ok(PathBuf::from(configured));
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths).map(|dir| dir.join("prometheus")).find(|p| p.is_file())
    });
    on_path.ok_or_else(|| StackError::Missing {
        what: "Prometheus (the `prometheus` binary)".into(),
        fix: "run scripts/setup.sh (as root it installs Debian's `prometheus` package), \
              or install Prometheus and put it on PATH (or set PROMETHEUS_BIN)"
            .into(),
    })
}

/// Prometheus answers `GET /-/ready` with 200.
pub fn probe(url: &str) -> Result<(), StackError> {
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .map_err(|e| StackError::Start { service: "prometheus", detail: e.to_string() })?;
    match client.get(format!("{url}/-/ready")).send() {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(StackError::Start {
            service: "prometheus",
            detail: format!("GET /-/ready answered {}", r.status()),
        }),
        Err(e) => Err(StackError::Start {
            service: "prometheus",
            detail: format!("cannot reach {url}: {e}"),
        }),
    }
}
