//! `superstore registry`: serves the schema registry, and its `/metrics`,
//! on one address until SIGINT or SIGTERM. Basic authentication is on when
//! `SUPERSTORE_REGISTRY_BASIC_AUTH` holds `user:password` (from the
//! environment only, so it never shows in `ps`); `/metrics` answers without it.

use super::failure::Failure;
use std::net::SocketAddr;
use std::sync::Arc;
use superstore_actors::observability::{endpoint, recorder};
use superstore_registry::{BasicAuth, MetricsPage, ServerSettings};

/// The server side's credentials: `user:password`.
const BASIC_AUTH: &str = "SUPERSTORE_REGISTRY_BASIC_AUTH";

fn settings(max_body_bytes: usize, metrics_page: MetricsPage) -> Result<ServerSettings, Failure> {
    if max_body_bytes == 0 {
        return Err(Failure::Usage("--max-body-bytes must be at least 1".into()));
    }
    let basic_auth = match std::env::var(BASIC_AUTH) {
        Ok(user_info) if !user_info.is_empty() => Some(
            BasicAuth::from_user_info(&user_info)
                .map_err(|e| Failure::Usage(format!("{BASIC_AUTH}: {e}")))?,
        ),
        _ => None,
    };
    Ok(ServerSettings { basic_auth, max_body_bytes, metrics_page: Some(metrics_page) })
}

pub fn run(bind: SocketAddr, max_body_bytes: usize) -> anyhow::Result<()> {
    let listener = endpoint::bind(bind, "--bind (SUPERSTORE_REGISTRY_BIND)")
        .map_err(|e| Failure::Usage(e.to_string()))?;
    // The registry needs only PostgreSQL: DATABASE_URL, or the local stack's.
    let database_url = superstore_stack::endpoints::database_url()?;
    superstore_database::migrate(&database_url).map_err(Failure::migration)?;
    let pool = superstore_database::pool(&database_url, 8).map_err(Failure::database)?;
    let handle = recorder::install()?;
    let settings = settings(max_body_bytes, Arc::new(move || handle.render()))?;
    tracing::info!(
        address = %listener.local_addr()?,
        basic_auth_user = settings.basic_auth.as_ref().map(BasicAuth::user),
        max_body_bytes,
        "schema registry listening"
    );
    actix_web::rt::System::new().block_on(async move {
        superstore_registry::serve_with(listener, pool, settings)?.await
    })?;
    Ok(())
}
