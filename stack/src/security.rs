//! Whether the local stack runs secure (`up --secure`), and its secrets.
//!
//! Secure, every client connection is TLS and authenticated: Kafka on a
//! `SASL_SSL` listener (SCRAM and PLAIN), with two `SSL` listeners beside it
//! for trying TLS alone and mutual TLS; the registry over HTTPS with basic
//! auth; PostgreSQL with `ssl = on` and only `hostssl` entries, so that a
//! plaintext connection is refused. What stays plaintext, on loopback only:
//! Kafka's controller listener, which serves the quorum, not clients.
//!
//! The choice is remembered in `security` (like the number of brokers), so
//! that `up`, `status`, `env` and `down` need no flag. Passwords are made
//! at the first secure `up` and kept 0600 in `secure/`; the certificates
//! live in `tls/` (see [`super::tls`]).

use super::secrets::write_secret;
use super::tls::Certificates;
use super::StackError;
use rand::distr::{Alphanumeric, SampleString};
use std::fs;
use std::path::{Path, PathBuf};

/// The user of Kafka's SASL and of the registry's basic auth.
pub const CLIENT_USER: &str = "superstore";

/// Offset from the Kafka port of the secure broker's `SSL` listener that
/// asks for a client certificate (mutual TLS).
pub(crate) const MTLS_PORT_OFFSET: u16 = 2;
/// Offset from the Kafka port of its `SSL` listener without client
/// authentication.
pub(crate) const TLS_PORT_OFFSET: u16 = 4;

pub struct Security {
    home: PathBuf,
}

impl Security {
    pub fn new(home: &Path) -> Self {
        Security { home: home.to_owned() }
    }

    fn mode_file(&self) -> PathBuf {
        self.home.join("security")
    }

    /// Whether the stack was last started secure.
    pub fn is_secure(&self) -> bool {
        fs::read_to_string(self.mode_file()).is_ok_and(|text| text.trim() == "secure")
    }

    /// Remembers the choice for the commands that follow.
    pub fn remember(&self, secure: bool) -> Result<(), StackError> {
        let mode = if secure { "secure\n" } else { "plain\n" };
        fs::write(self.mode_file(), mode).map_err(|e| StackError::io("record the security mode", e))
    }

    pub fn certificates(&self) -> Certificates {
        Certificates { dir: self.home.join("tls") }
    }

    /// The password of Kafka's SASL user, made on first use.
    pub fn kafka_password(&self) -> Result<String, StackError> {
        self.password("kafka.password")
    }

    /// The password of the registry's basic auth, made on first use.
    pub fn registry_password(&self) -> Result<String, StackError> {
        self.password("registry.password")
    }

    fn password(&self, name: &str) -> Result<String, StackError> {
        let dir = self.home.join("secure");
        fs::create_dir_all(&dir).map_err(|e| StackError::io("create the secrets directory", e))?;
        let file = dir.join(name);
        if !file.exists() {
            let password = Alphanumeric.sample_string(&mut rand::rng(), 32);
            write_secret(&file, &password)
                .map_err(|e| StackError::io(format!("write {}", file.display()), e))?;
        }
        fs::read_to_string(&file)
            .map(|p| p.trim().to_owned())
            .map_err(|e| StackError::io(format!("read {}", file.display()), e))
    }
}
