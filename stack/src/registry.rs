//! The local schema registry: this very binary, started as `superstore
//! registry` in the background, pointed at the local PostgreSQL. On the
//! secure stack it serves HTTPS with the stack's server certificate and
//! requires basic authentication.

use super::ownership::User;
use super::process::{wait_until, Daemon};
use super::security::CLIENT_USER;
use super::tls::Certificates;
use super::StackError;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// What the secure registry needs: the certificates and its password.
pub struct RegistrySecurity {
    pub certificates: Certificates,
    pub password: String,
}

pub struct LocalRegistry {
    pub dir: PathBuf,
    pub port: u16,
    pub security: Option<RegistrySecurity>,
}

impl LocalRegistry {
    pub fn url(&self) -> String {
        let scheme = if self.security.is_some() { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    fn bind(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The `user:password` clients send, on the secure stack.
    pub fn user_info(&self) -> Option<String> {
        self.security.as_ref().map(|s| format!("{CLIENT_USER}:{}", s.password))
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
            let command = self.command(database_url, user)?;
            daemon.spawn(command, user).map_err(|e| StackError::io("start the registry", e))?;
        }
        wait_until(timeout, || {
            if daemon.exited() {
                return Err(StackError::Start {
                    service: "registry",
                    detail: format!("it exited:\n{}", daemon.log_tail(20)),
                });
            }
            self.probe()
        })
    }

    /// `superstore registry` on this stack's port; on the secure stack with
    /// its own copy of the server's key and the basic-auth credentials
    /// (passed in the environment, never on the command line).
    fn command(&self, database_url: &str, user: Option<&User>) -> Result<Command, StackError> {
        let exe = std::env::current_exe()
            .map_err(|e| StackError::io("locate the superstore binary", e))?;
        let mut command = Command::new(exe);
        command
            .args(["--log-format", "json", "registry", "--bind"])
            .arg(self.bind())
            .env("DATABASE_URL", database_url)
            // Its own home: libpq looks for a client certificate under
            // ~/.postgresql, and the service user may not read root's.
            .env("HOME", &self.dir)
            .env_remove("SUPERSTORE_REGISTRY_TLS_CERT")
            .env_remove("SUPERSTORE_REGISTRY_TLS_KEY");
        if let (Some(security), Some(user_info)) = (&self.security, self.user_info()) {
            let (certificate, key) = security.certificates.server_copy(&self.dir, user)?;
            command
                .arg("--tls-cert")
                .arg(certificate)
                .arg("--tls-key")
                .arg(key)
                .env("SUPERSTORE_REGISTRY_BASIC_AUTH", user_info);
        }
        Ok(command)
    }

    /// Whether this registry answers, with the stack's CA and credentials
    /// when it is secure.
    pub fn probe(&self) -> Result<(), StackError> {
        let ca = self.security.as_ref().map(|s| s.certificates.ca());
        probe(&self.url(), ca.as_deref(), self.user_info())
    }

    pub fn stop(&self) -> bool {
        self.daemon().stop(Duration::from_secs(15))
    }
}

fn unreachable(detail: String) -> StackError {
    StackError::Start { service: "registry", detail }
}

/// A registry answers `GET /subjects` with 200. It is sent `user_info`, or
/// else, when the registry was started with basic authentication
/// (`SUPERSTORE_REGISTRY_BASIC_AUTH`), the clients' credentials
/// (`SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO`); `ca` is trusted beside the
/// system's roots.
pub fn probe(
    url: &str,
    ca: Option<&std::path::Path>,
    user_info: Option<String>,
) -> Result<(), StackError> {
    let mut client = reqwest::blocking::Client::builder().timeout(Duration::from_secs(3));
    if let Some(ca) = ca {
        let pem =
            std::fs::read(ca).map_err(|e| StackError::io(format!("read {}", ca.display()), e))?;
        let certificate =
            reqwest::Certificate::from_pem(&pem).map_err(|e| unreachable(e.to_string()))?;
        client = client.add_root_certificate(certificate);
    }
    let client = client.build().map_err(|e| unreachable(e.to_string()))?;
    let mut request = client.get(format!("{url}/subjects"));
    let user_info = user_info
        .or_else(|| std::env::var("SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO").ok())
        .unwrap_or_default();
    if let Some((user, password)) = user_info.split_once(':') {
        request = request.basic_auth(user, Some(password));
    }
    match request.send() {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) if r.status().as_u16() == 401 => Err(unreachable(
            "GET /subjects answered 401: the registry requires basic authentication; \
             set SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO=user:password to the credentials \
             of SUPERSTORE_REGISTRY_BASIC_AUTH"
                .into(),
        )),
        Ok(r) => Err(unreachable(format!("GET /subjects answered {}", r.status()))),
        Err(e) => Err(unreachable(format!("cannot reach {url}: {e}"))),
    }
}
