//! The local stack, the embedded default: PostgreSQL, a single-node Apache
//! Kafka in KRaft mode (or with `up --brokers N` a local cluster, see
//! [`brokers`]) and the schema registry, and on request Prometheus,
//! all on loopback ports and all under one git-ignored directory
//! (`.superstore/`, or `SUPERSTORE_HOME`).
//!
//! `up` is idempotent and returns once every service answers; `down` stops
//! them and keeps their data on disk. `up --secure` runs the same services
//! with TLS and authentication on every client connection (see
//! [`security`]). [`endpoints`] decides whether a
//! command talks to this stack or to the services the environment names.
//!
//! Only the `superstore` binary's command line uses this crate: the
//! pipeline and the registry know the three addresses, never where they
//! come from.

#![warn(missing_docs)]

mod brokers;
pub mod endpoints;
mod kafka;
mod lock;
mod ownership;
pub mod ports;
mod postgres;
mod process;
mod prometheus;
mod registry;
mod secrets;
mod security;
mod tls;
pub mod variables;

pub use endpoints::{resolve, resolve_with, EndpointError, Endpoints};
pub use prometheus::ScrapeTargets;

pub use ports::StackPorts;
use serde::Serialize;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why the local stack could not be started, stopped or read.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    /// A program or system user the stack needs is not installed.
    #[error("{what} is missing. Fix: {fix}")]
    Missing {
        /// What was looked for.
        what: String,
        /// How to install it, or where to point the stack at it.
        fix: String,
    },
    /// A service did not come up, or cannot be run safely.
    #[error("{service} did not start: {detail}")]
    Start {
        /// The service, as a sentence names it (`PostgreSQL`, `Kafka`…).
        service: &'static str,
        /// What it said, or what the stack found.
        detail: String,
    },
    /// A file or directory of the stack could not be used.
    #[error("cannot {action}: {source}")]
    Io {
        /// What the stack was doing.
        action: String,
        /// What the system said.
        source: std::io::Error,
    },
    /// The stack's database could not be migrated.
    #[error("database setup failed: {0}")]
    Database(String),
    /// The command needs a stack that `up` has created, in this directory.
    #[error("the local stack has not been started in {0}. Run `superstore up` first")]
    NotInitialized(PathBuf),
    /// The request contradicts the stack's state or its limits; the text
    /// says what to do.
    #[error("{0}")]
    Usage(String),
}

impl StackError {
    fn io(action: impl Into<String>, source: std::io::Error) -> Self {
        StackError::Io { action: action.into(), source }
    }
}

/// One line of `superstore status`: a service of the stack, and whether it
/// answers.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceStatus {
    /// The service's name (`postgres`, `kafka-1`, `registry`…).
    pub service: String,
    /// Where it listens: `host:port`, or a URL.
    pub address: String,
    /// Whether it answered.
    pub healthy: bool,
    /// What it answered, or why it did not.
    pub detail: String,
}

/// The local stack of one directory: its services, their ports and its
/// security mode. Building one starts nothing.
pub struct LocalStack {
    home: PathBuf,
    /// Recorded, or the defaults, with `SUPERSTORE_*_PORT` applied.
    ports: StackPorts,
    postgres: postgres::LocalPostgres,
    kafka: brokers::Brokers,
    registry: registry::LocalRegistry,
    prometheus: prometheus::LocalPrometheus,
    security: security::Security,
}

/// An environment variable a client of the stack needs: its value, or None
/// where it must be unset (the secure stack's settings, on the plain one).
pub type ClientVariable = (&'static str, Option<String>);

impl LocalStack {
    /// The stack in `SUPERSTORE_HOME`, or `.superstore/` under the current directory.
    pub fn from_environment() -> Result<Self, StackError> {
        let home = match std::env::var_os(crate::variables::HOME) {
            Some(dir) => PathBuf::from(dir),
            None => std::env::current_dir()
                .map_err(|e| StackError::io("read the current directory", e))?
                .join(".superstore"),
        };
        Self::at(&home)
    }

    /// The stack in `home`, which is created if it does not exist.
    pub fn at(home: &Path) -> Result<Self, StackError> {
        fs::create_dir_all(home)
            .map_err(|e| StackError::io(format!("create {}", home.display()), e))?;
        let home = home
            .canonicalize()
            .map_err(|e| StackError::io(format!("resolve {}", home.display()), e))?;
        let initialized = postgres::LocalPostgres::new(&home, 0).is_initialized();
        let ports = StackPorts::of_home(&home, initialized).with_environment();
        let security = security::Security::new(&home);
        let secure = security.is_secure();
        let mut postgres = postgres::LocalPostgres::new(&home, ports.postgres);
        postgres.tls = secure.then(|| security.certificates());
        let registry_security = match secure {
            true => Some(registry::RegistrySecurity {
                certificates: security.certificates(),
                password: security.registry_password()?,
            }),
            false => None,
        };
        Ok(LocalStack {
            postgres,
            kafka: brokers::Brokers::new(&home, ports.kafka, ports.kafka_controller),
            registry: registry::LocalRegistry {
                dir: home.join("registry"),
                port: ports.registry,
                security: registry_security,
            },
            prometheus: prometheus::LocalPrometheus {
                dir: home.join("prometheus"),
                port: ports.prometheus,
            },
            ports,
            security,
            home,
        })
    }

    /// The ports this stack uses (see [`ports`]).
    pub fn ports(&self) -> StackPorts {
        self.ports
    }

    /// Whether the stack was last started with `--secure`.
    pub fn is_secure(&self) -> bool {
        self.security.is_secure()
    }

    /// Whether any of its services runs.
    fn is_running(&self) -> bool {
        self.postgres.is_running()
            || self.registry.daemon().running_pid().is_some()
            || self.kafka.status().iter().any(|s| s.healthy)
    }

    /// What a client of the stack needs, as environment variables: the
    /// three endpoints, and on the secure stack Kafka's SASL settings, the
    /// registry's credentials and the CA (which the plain stack unsets, but
    /// for the registry's credentials, which are then the user's own).
    /// What `superstore env` prints.
    pub fn client_environment(&self) -> Result<Vec<ClientVariable>, StackError> {
        let endpoints = self.endpoints()?;
        let ca = self.security.certificates().ca().to_string_lossy().into_owned();
        let secure = self.is_secure();
        let when_secure = |value: String| secure.then_some(value);
        let password = if secure { self.security.kafka_password()? } else { String::new() };
        let mut variables = vec![
            ("KAFKA_BOOTSTRAP_SERVERS", Some(endpoints.kafka_bootstrap_servers)),
            ("KAFKA_SECURITY_PROTOCOL", when_secure("SASL_SSL".into())),
            ("KAFKA_SASL_MECHANISM", when_secure("SCRAM-SHA-512".into())),
            ("KAFKA_SASL_USERNAME", when_secure(security::CLIENT_USER.into())),
            ("KAFKA_SASL_PASSWORD", when_secure(password)),
            ("KAFKA_SSL_CA_LOCATION", when_secure(ca.clone())),
            ("DATABASE_URL", Some(endpoints.database_url)),
            ("SCHEMA_REGISTRY_URL", Some(endpoints.schema_registry_url)),
            ("SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO", self.registry.user_info()),
            ("SCHEMA_REGISTRY_SSL_CA_LOCATION", when_secure(ca)),
        ];
        // The plain registry's credentials, if any, are the user's own
        // (SUPERSTORE_REGISTRY_BASIC_AUTH): leave them as they are.
        variables.retain(|(name, value)| secure || value.is_some() || !name.contains("USER_INFO"));
        Ok(variables)
    }

    /// The stack's directory, absolute.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// The addresses of the stack's services (whether or not they run).
    pub fn endpoints(&self) -> Result<Endpoints, StackError> {
        if !self.postgres.is_initialized() {
            return Err(StackError::NotInitialized(self.home.clone()));
        }
        Ok(Endpoints {
            kafka_bootstrap_servers: self.kafka.bootstrap(),
            database_url: self.postgres.url(postgres::DATABASE)?,
            schema_registry_url: self.registry.url(),
        })
    }

    /// Starts whatever is not running, migrates the database, and waits
    /// until every service answers. One `up` or `down` at a time per stack.
    /// `brokers`: how many Kafka brokers (1, or a local cluster of 3 or
    /// more); by default as last started. `secure`: TLS and authentication
    /// on every client connection (see [`security`]); by default as last
    /// started, plain the first time.
    pub fn up(&self, brokers: Option<u16>, secure: Option<bool>) -> Result<Endpoints, StackError> {
        let secure = secure.unwrap_or_else(|| self.is_secure());
        let default_brokers = if secure { 1 } else { self.kafka.count() };
        let brokers = brokers.unwrap_or(default_brokers);
        self.kafka.check(brokers, secure)?;
        let _lock = lock::StackLock::acquire(&self.home)?;
        if secure != self.is_secure() {
            if self.is_running() {
                let now = if secure { "plain" } else { "secure" };
                return Err(StackError::Usage(format!(
                    "the stack runs {now}; run `superstore down` before switching (each keeps \
                     its Kafka data; PostgreSQL and the registry are shared)"
                )));
            }
            self.security.remember(secure)?;
        }
        if secure {
            self.security.certificates().ensure()?;
        }
        // Built again: what the services are given follows the mode just recorded.
        Self::at(&self.home)?.start(brokers)
    }

    /// The body of `up`, under its lock, in the recorded mode.
    fn start(&self, brokers: u16) -> Result<Endpoints, StackError> {
        tracing::debug!(home = %self.home.display(), "starting the local stack");
        self.postgres.init()?;
        self.ports
            .record_once(&self.home)
            .map_err(|e| StackError::io("record the stack's ports", e))?;
        if !self.postgres.is_running() {
            self.postgres.configure_access()?;
        }
        self.postgres.start()?;
        self.postgres.ensure_database()?;
        let endpoints = self.endpoints()?;
        let applied = superstore_database::migrate(&endpoints.database_url)
            .map_err(|e| StackError::Database(e.to_string()))?;
        for name in applied {
            tracing::info!(migration = %name, "applied");
        }
        tracing::debug!(port = self.postgres.port, "PostgreSQL is up");
        let exe = std::env::current_exe()
            .map_err(|e| StackError::io("locate the superstore binary", e))?;
        let mut needs = self.kafka.dirs(brokers);
        for dir in &needs {
            fs::create_dir_all(dir).map_err(|e| StackError::io("create the Kafka directory", e))?;
        }
        needs.push(exe);
        let needs: Vec<&Path> = needs.iter().map(PathBuf::as_path).collect();
        let user = ownership::service_user(&needs)?;
        self.kafka.start(brokers, Duration::from_secs(120), user.as_ref())?;
        tracing::debug!(bootstrap = %self.kafka.bootstrap(), "Kafka is up");
        self.registry.start(&endpoints.database_url, Duration::from_secs(30), user.as_ref())?;
        tracing::debug!(url = %self.registry.url(), "registry is up");
        // Read again: the number of brokers is recorded by the start.
        Ok(Endpoints { kafka_bootstrap_servers: self.kafka.bootstrap(), ..endpoints })
    }

    /// Starts the local Prometheus (or has it reload its configuration),
    /// scraping `targets` and the registry; returns its URL.
    pub fn start_monitoring(&self, targets: &ScrapeTargets) -> Result<String, StackError> {
        let _lock = lock::StackLock::acquire(&self.home)?;
        let targets = ScrapeTargets {
            registry: Some(format!("127.0.0.1:{}", self.registry.port)),
            registry_ca: self.registry.security.as_ref().map(|s| s.certificates.ca()),
            ..targets.clone()
        };
        fs::create_dir_all(&self.prometheus.dir)
            .map_err(|e| StackError::io("create the Prometheus directory", e))?;
        // Unprivileged, like Kafka and the registry.
        let user = ownership::service_user(&[&self.prometheus.dir])?;
        self.prometheus.start(&targets, Duration::from_secs(60), user.as_ref())?;
        tracing::debug!(url = %self.prometheus.url(), "Prometheus is up");
        Ok(self.prometheus.url())
    }

    /// Stops the local Prometheus alone; its data stays on disk.
    pub fn stop_monitoring(&self) {
        // Called by down, which holds the stack's lock, and by `down
        // --monitoring-only`, a stop of one process that needs none.
        if self.prometheus.stop() {
            tracing::warn!("Prometheus had to be killed");
        }
    }

    /// Stops every service; data stays on disk.
    pub fn down(&self) -> Result<(), StackError> {
        let _lock = lock::StackLock::acquire(&self.home)?;
        self.stop_monitoring();
        if self.registry.stop() {
            tracing::warn!("the registry had to be killed");
        }
        if self.kafka.stop() {
            tracing::warn!("Kafka had to be killed");
        }
        self.postgres.stop()
    }

    /// Asks each service whether it answers.
    pub fn status(&self) -> Vec<ServiceStatus> {
        let database = ServiceStatus {
            service: "postgres".into(),
            address: format!("127.0.0.1:{}", self.postgres.port),
            healthy: false,
            detail: String::new(),
        };
        let database = match self.postgres.url(postgres::DATABASE) {
            Err(_) => ServiceStatus { detail: "not initialized".into(), ..database },
            Ok(url) => match superstore_database::connect(&url) {
                Ok(_) => ServiceStatus {
                    healthy: true,
                    detail: format!("data in {}", self.postgres.dir.display()),
                    ..database
                },
                Err(e) => ServiceStatus { detail: e.to_string(), ..database },
            },
        };
        let registry = match self.registry.probe() {
            Ok(()) => (true, "GET /subjects answered 200".to_owned()),
            Err(e) => (false, e.to_string()),
        };
        let mut services = vec![database];
        services.extend(self.kafka.status());
        services.push(ServiceStatus {
            service: "registry".into(),
            address: self.registry.url(),
            healthy: registry.0,
            detail: registry.1,
        });
        if self.prometheus.is_wanted() {
            services.push(self.prometheus_status());
        }
        services
    }

    /// Prometheus's line, once `up --monitoring` has started it.
    fn prometheus_status(&self) -> ServiceStatus {
        let url = self.prometheus.url();
        let (healthy, detail) = match prometheus::probe(&url) {
            Ok(()) => (true, format!("GET /-/ready answered 200; open {url}")),
            Err(e) => (false, e.to_string()),
        };
        ServiceStatus { service: "prometheus".into(), address: url, healthy, detail }
    }
}
