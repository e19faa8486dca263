//! `superstore registry`: serves the schema registry until SIGINT or SIGTERM.

use super::failure::Failure;
use std::net::{SocketAddr, TcpListener};

pub fn run(bind: SocketAddr) -> anyhow::Result<()> {
    // The registry needs only PostgreSQL: DATABASE_URL, or the local stack's.
    let database_url = superstore_stack::endpoints::database_url()?;
    superstore_database::migrate(&database_url).map_err(Failure::database)?;
    let pool = superstore_database::pool(&database_url, 8).map_err(Failure::database)?;
    let listener = TcpListener::bind(bind)
        .map_err(|e| Failure::Usage(format!("cannot listen on {bind}: {e}")))?;
    tracing::info!(address = %listener.local_addr()?, "schema registry listening");
    actix_web::rt::System::new()
        .block_on(async move { superstore_registry::serve(listener, pool)?.await })?;
    Ok(())
}
