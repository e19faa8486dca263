//! The local schema registry: this very binary, started as `superstore
//! registry` in the background, pointed at the local PostgreSQL.

use super::ownership::User;
use super::process::{wait_until, Daemon};
use super::StackError;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

pub struct LocalRegistry {
    pub dir: PathBuf,
    pub port: u16,
}

impl LocalRegistry {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn bind(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn daemon(&self) -> Daemon {
        Daemon {
            pid_file: self.dir.join("registry.pid"),
            log_file: self.dir.join("registry.log"),
            // `superstore registry` on this stack's port.
            identity: vec!["registry".into(), "--bind".into(), self.bind()],
        }
    }

    /// Starts the registry if needed (as `user` if one is given) and waits
    /// until it answers.
    pub fn start(
        &self,
        database_url: &str,
        timeout: Duration,
        user: Option<&User>,
    ) -> Result<(), StackError> {
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| StackError::io("create the registry directory", e))?;
        let daemon = self.daemon();
        if daemon.running_pid().is_none() {
            let exe = std::env::current_exe()
                .map_err(|e| StackError::io("locate the superstore binary", e))?;
            let mut command = Command::new(exe);
            command
                .args(["--log-format", "json", "registry", "--bind"])
                .arg(self.bind())
                .env("DATABASE_URL", database_url);
            daemon.spawn(command, user).map_err(|e| StackError::io("start the registry", e))?;
        }
        wait_until(timeout, || {
            if daemon.exited() {
                return Err(StackError::Start {
                    service: "registry",
                    detail: format!("it exited:\n{}", daemon.log_tail(20)),
                });
            }
            probe(&self.url())
        })
    }

    pub fn stop(&self) -> bool {
        self.daemon().stop(Duration::from_secs(15))
    }
}

/// A registry answers `GET /subjects` with 200. When the registry was
/// started with basic authentication (`SUPERSTORE_REGISTRY_BASIC_AUTH`), the
/// probe sends the clients' credentials (`SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO`).
pub fn probe(url: &str) -> Result<(), StackError> {
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .map_err(|e| StackError::Start { service: "registry", detail: e.to_string() })?;
    let mut request = client.get(format!("{url}/subjects"));
    let user_info = std::env::var("SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO").unwrap_or_default();
    if let Some((user, password)) = user_info.split_once(':') {
        request = request.basic_auth(user, Some(password));
    }
    match request.send() {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) if r.status().as_u16() == 401 => Err(StackError::Start {
            service: "registry",
            detail: "GET /subjects answered 401: the registry requires basic authentication; \
                     set SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO=user:password to the credentials \
                     of SUPERSTORE_REGISTRY_BASIC_AUTH"
                .into(),
        }),
        Ok(r) => Err(StackError::Start {
            service: "registry",
            detail: format!("GET /subjects answered {}", r.status()),
        }),
        Err(e) => Err(StackError::Start {
            service: "registry",
            detail: format!("cannot reach {url}: {e}"),
        }),
    }
}
