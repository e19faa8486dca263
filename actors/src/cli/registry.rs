//! `superstore registry`: serves the schema registry, and its `/metrics`,
//! on one address until SIGINT or SIGTERM.

use super::failure::Failure;
use std::net::SocketAddr;
use std::sync::Arc;
use superstore_actors::observability::{endpoint, recorder};

pub fn run(bind: SocketAddr) -> anyhow::Result<()> {
    let listener = endpoint::bind(bind, "--bind (SUPERSTORE_REGISTRY_BIND)")
        .map_err(|e| Failure::Usage(e.to_string()))?;
    // The registry needs only PostgreSQL: DATABASE_URL, or the local stack's.
    let database_url = superstore_stack::endpoints::database_url()?;
    superstore_database::migrate(&database_url).map_err(Failure::database)?;
    let pool = superstore_database::pool(&database_url, 8).map_err(Failure::database)?;
    let handle = recorder::install()?;
    let metrics_page: superstore_registry::MetricsPage = Arc::new(move || handle.render());
    tracing::info!(address = %listener.local_addr()?, "schema registry listening");
    actix_web::rt::System::new().block_on(async move {
        superstore_registry::serve(listener, pool, Some(metrics_page))?.await
    })?;
    Ok(())
}
