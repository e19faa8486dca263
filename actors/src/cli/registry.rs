//! `superstore registry`: serves the schema registry, and its `/metrics`,
//! on one address until SIGINT or SIGTERM; over HTTPS when given a
//! certificate and key. Basic authentication is on when
//! `SUPERSTORE_REGISTRY_BASIC_AUTH` holds `user:password` (from the
//! environment only, so it never shows in `ps`); `/metrics` answers without
//! it. Basic auth over plain HTTP is refused on any address but loopback:
//! the password would cross the network readable by anyone on the way.

use super::failure::Failure;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use superstore_actors::observability::{endpoint, recorder};
use superstore_registry::{BasicAuth, MetricsPage, ServerSettings, ServerTls};

/// The server side's credentials: `user:password`.
pub const BASIC_AUTH: &str = "SUPERSTORE_REGISTRY_BASIC_AUTH";

/// How `superstore registry` serves.
#[derive(Debug, Clone, clap::Args)]
pub struct RegistryArgs {
    /// Address to listen on.
    #[arg(long, env = "SUPERSTORE_REGISTRY_BIND", default_value = "127.0.0.1:8081")]
    pub bind: SocketAddr,
    /// Largest request body (a schema in its JSON envelope) accepted, in bytes; larger ones
    /// get 413. Basic authentication is on when SUPERSTORE_REGISTRY_BASIC_AUTH=user:password
    /// is set (environment only).
    #[arg(
        long,
        env = "SUPERSTORE_REGISTRY_MAX_BODY_BYTES",
        default_value_t = superstore_registry::http::DEFAULT_MAX_BODY_BYTES
    )]
    pub max_body_bytes: usize,
    /// Serve HTTPS with this certificate (PEM, the chain from the server's own).
    #[arg(long, env = "SUPERSTORE_REGISTRY_TLS_CERT", requires = "tls_key", value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, env = "SUPERSTORE_REGISTRY_TLS_KEY", requires = "tls_cert", value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// Require clients to present a certificate signed by this CA (PEM): mutual TLS.
    #[arg(
        long,
        env = "SUPERSTORE_REGISTRY_TLS_CLIENT_CA",
        requires = "tls_cert",
        value_name = "FILE"
    )]
    pub tls_client_ca: Option<PathBuf>,
}

fn settings(args: &RegistryArgs, metrics_page: MetricsPage) -> Result<ServerSettings, Failure> {
    if args.max_body_bytes == 0 {
        return Err(Failure::Usage("--max-body-bytes must be at least 1".into()));
    }
    let basic_auth = match std::env::var(BASIC_AUTH) {
        Ok(user_info) if !user_info.is_empty() => Some(
            BasicAuth::from_user_info(&user_info)
                .map_err(|e| Failure::Usage(format!("{BASIC_AUTH}: {e}")))?,
        ),
        _ => None,
    };
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(certificate), Some(key)) => Some(
            ServerTls::from_pem_files(certificate, key, args.tls_client_ca.as_deref())
                .map_err(|e| Failure::Usage(format!("--tls-cert/--tls-key: {e}")))?,
        ),
        _ => None,
    };
    if basic_auth.is_some() && tls.is_none() && !args.bind.ip().is_loopback() {
        return Err(Failure::Usage(format!(
            "refusing to serve basic authentication over plain HTTP on {}: the password would \
             cross the network readable by anyone on the way. Fix: give --tls-cert and --tls-key \
             (SUPERSTORE_REGISTRY_TLS_CERT, SUPERSTORE_REGISTRY_TLS_KEY), or bind to 127.0.0.1",
            args.bind
        )));
    }
    let max_body_bytes = args.max_body_bytes;
    Ok(ServerSettings { basic_auth, max_body_bytes, metrics_page: Some(metrics_page), tls })
}

pub fn run(args: RegistryArgs) -> anyhow::Result<()> {
    // Checked before anything binds or connects: a refusal changes nothing.
    settings(&args, Arc::new(String::new))?;
    let listener = endpoint::bind(args.bind, "--bind (SUPERSTORE_REGISTRY_BIND)")
        .map_err(|e| Failure::Usage(e.to_string()))?;
    // The registry needs only PostgreSQL: DATABASE_URL, or the local stack's.
    let database_url = superstore_stack::endpoints::database_url()?;
    superstore_database::migrate(&database_url).map_err(Failure::migration)?;
    let pool = super::database_access::pool(&database_url, 8)?;
    let handle = recorder::install()?;
    let settings = settings(&args, Arc::new(move || handle.render()))?;
    tracing::info!(
        address = %listener.local_addr()?,
        https = settings.tls.is_some(),
        mutual_tls = args.tls_client_ca.is_some(),
        basic_auth_user = settings.basic_auth.as_ref().map(BasicAuth::user),
        max_body_bytes = args.max_body_bytes,
        "schema registry listening"
    );
    actix_web::rt::System::new().block_on(async move {
        superstore_registry::serve_with(listener, pool, settings)?.await
    })?;
    Ok(())
}
