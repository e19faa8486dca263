//! `superstore registry`: serves the schema registry until SIGINT or SIGTERM.

use crate::endpoints::DATABASE_URL;
use crate::failure::Failure;
use crate::stack::LocalStack;
use std::net::{SocketAddr, TcpListener};

pub fn run(bind: SocketAddr) -> anyhow::Result<()> {
    // The registry needs only PostgreSQL: DATABASE_URL, or the local stack's.
    let database_url = match std::env::var(DATABASE_URL) {
        Ok(url) if !url.trim().is_empty() => url,
        _ => LocalStack::from_environment()?.endpoints()?.database_url,
    };
    crate::db::migrate(&database_url).map_err(Failure::database)?;
    let pool = crate::db::pool(&database_url, 8).map_err(Failure::database)?;
    let listener = TcpListener::bind(bind).map_err(|e| Failure::Usage(format!("cannot listen on {bind}: {e}")))?;
    tracing::info!(address = %listener.local_addr()?, "schema registry listening");
    actix_web::rt::System::new().block_on(async move { crate::registry::server::serve(listener, pool)?.await })?;
    Ok(())
}
