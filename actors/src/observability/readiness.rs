//! Whether `superstore run` is ready to do its work, for `/health/ready`:
//! it holds partitions of its topic, PostgreSQL answers, and the registry
//! answers. Each check is made afresh on every probe, with a short timeout,
//! and the answer names what is missing, so an operator (or an
//! orchestrator) sees why at a glance. The endpoint has no authentication,
//! so every detail is redacted: the registry's URL may carry a password.

use crate::intake::assignment::AssignedPartitions;
use diesel::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;
use superstore_database::{redact, PgPool};
use superstore_registry::{BasicAuth, ClientTls, RegistryClient};

/// The longest a check may take before it counts as failed.
const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// What the readiness checks look at; each probe checks them afresh.
#[derive(Clone)]
pub struct Readiness {
    /// The topic the pipeline consumes, named in the answer.
    pub topic: String,
    /// The partitions the source holds: none means not ready.
    pub assigned: AssignedPartitions,
    /// The pool the check takes a connection from, to ask PostgreSQL `select 1`.
    pub pool: PgPool,
    /// The schema registry the decoder reads, asked for `GET /subjects`.
    pub registry_url: String,
    /// The pipeline's own credentials for the registry, when it asks for them.
    pub registry_credentials: Option<BasicAuth>,
    /// The pipeline's TLS files for the registry.
    pub registry_tls: ClientTls,
}

/// One check's verdict.
#[derive(Debug, Serialize)]
pub(crate) struct Check {
    pub(crate) ok: bool,
    pub(crate) detail: String,
}

/// The body of `/health/ready`.
#[derive(Debug, Serialize)]
pub(crate) struct ReadinessReport {
    pub(crate) ready: bool,
    /// The checks that failed, by name.
    pub(crate) missing: Vec<&'static str>,
    pub(crate) checks: BTreeMap<&'static str, Check>,
}

impl Readiness {
    pub(crate) async fn check(&self) -> ReadinessReport {
        let (postgres, registry) = tokio::join!(self.postgres(), self.registry());
        let checks = BTreeMap::from([
            ("partitions", self.partitions()),
            ("postgres", postgres),
            ("registry", registry),
        ]);
        let missing: Vec<&'static str> =
            checks.iter().filter(|(_, check)| !check.ok).map(|(name, _)| *name).collect();
        ReadinessReport { ready: missing.is_empty(), missing, checks }
    }

    fn partitions(&self) -> Check {
        let assigned = self.assigned.lock().expect("assignment lock");
        if assigned.is_empty() {
            let detail = format!("no partition of {} is assigned to this consumer", self.topic);
            return Check { ok: false, detail };
        }
        Check { ok: true, detail: format!("assigned partitions {assigned:?} of {}", self.topic) }
    }

    async fn postgres(&self) -> Check {
        let pool = self.pool.clone();
        let answered = tokio::task::spawn_blocking(move || {
            let mut conn = pool.get_timeout(CHECK_TIMEOUT).map_err(|e| e.to_string())?;
            ping(&mut conn).map_err(|e| e.to_string())
        })
        .await
        .unwrap_or_else(|e| Err(e.to_string()));
        match answered {
            Ok(()) => Check { ok: true, detail: "answered select 1".into() },
            Err(e) => {
                Check { ok: false, detail: redact(&format!("PostgreSQL does not answer: {e}")) }
            }
        }
    }

    async fn registry(&self) -> Check {
        // A client of this probe's own: it lives and dies on the server's thread.
        let client = RegistryClient::new(&self.registry_url)
            .with_basic_auth(self.registry_credentials.clone())
            .with_tls(&self.registry_tls);
        let client = match client {
            Ok(client) => client,
            Err(e) => return Check { ok: false, detail: e.to_string() },
        };
        match tokio::time::timeout(CHECK_TIMEOUT, client.subjects()).await {
            Ok(Ok(_)) => Check { ok: true, detail: "answered GET /subjects".into() },
            Ok(Err(e)) => Check { ok: false, detail: redact(&e.to_string()) },
            Err(_) => Check {
                ok: false,
                detail: format!(
                    "no answer from {} within {CHECK_TIMEOUT:?}",
                    redact(&self.registry_url)
                ),
            },
        }
    }
}

/// A round trip to the server, for the readiness check.
pub(crate) fn ping(conn: &mut PgConnection) -> QueryResult<()> {
    diesel::sql_query("select 1").execute(conn).map(|_| ())
}
