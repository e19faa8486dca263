//! # superstore-database
//!
//! PostgreSQL access shared by the registry, the local stack and the staging
//! writer: an r2d2 pool of Diesel connections, the migrations of
//! `migrations/` embedded in the binary, and the Diesel schema generated from
//! them ([`schema`], by `scripts/schema.sh`). It sits at the bottom of the
//! crate graph and knows nothing of the crates above it.

mod columns;
pub mod schema;
mod session;

pub use columns::column_names;
pub use session::{connect_with_timeouts, pool_with_timeouts, Limit, SessionTimeouts};

use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, Pool};
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::time::Duration;

pub type PgPool = Pool<ConnectionManager<PgConnection>>;

/// Every file under `migrations/`, compiled in: the binary can always bring
/// the database to the version it expects.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations");

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot connect to PostgreSQL at {url}: {source}")]
    Connect { url: String, source: diesel::ConnectionError },
    #[error("cannot build a connection pool for {url}: {source}")]
    Pool { url: String, source: r2d2::Error },
    #[error("migrations failed: {0}")]
    Migrate(String),
    #[error("cannot set up the database session: {0}")]
    Session(String),
}

/// A pool whose connections all reach `url`. Fails at once if the first
/// connection cannot be made, so a wrong URL is reported at start.
pub fn pool(url: &str, max_size: u32) -> Result<PgPool, DbError> {
    let manager = ConnectionManager::<PgConnection>::new(url);
    Pool::builder()
        .max_size(max_size)
        .connection_timeout(Duration::from_secs(10))
        .build(manager)
        .map_err(|source| DbError::Pool { url: redact(url), source })
}

/// One connection to `url`, for work that needs no pool.
pub fn connect(url: &str) -> Result<PgConnection, DbError> {
    PgConnection::establish(url).map_err(|source| DbError::Connect { url: redact(url), source })
}

/// Applies the pending migrations and returns their names.
pub fn migrate(url: &str) -> Result<Vec<String>, DbError> {
    let mut conn = connect(url)?;
    let applied =
        conn.run_pending_migrations(MIGRATIONS).map_err(|e| DbError::Migrate(e.to_string()))?;
    Ok(applied.iter().map(|m| m.to_string()).collect())
}

/// The URL with its password masked, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.find(':') {
                Some(colon) => {
                    format!("{}{}:***{}", &url[..scheme_end + 3], &credentials[..colon], &url[at..])
                }
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://superstore:s3cr3t@127.0.0.1:55432/superstore"),
            "postgres://superstore:***@127.0.0.1:55432/superstore"
        );
        assert_eq!(redact("postgres://127.0.0.1/db"), "postgres://127.0.0.1/db");
    }
}
