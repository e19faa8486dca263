//! # superstore-database
//!
//! PostgreSQL access shared by the registry, the local stack and the staging
//! writer: an r2d2 pool of Diesel connections, the migrations of
//! `migrations/` embedded in the binary, and the Diesel schema generated from
//! them ([`schema`], by `scripts/schema.sh`). It sits at the bottom of the
//! crate graph and knows nothing of the crates above it.
//!
//! It also holds [`redact`], the one function through which every crate
//! prints a URL, a connection string or an error that may quote one: the
//! crates that hold such strings all depend on this one.

mod columns;
mod redact;
pub mod schema;
mod session;

pub use columns::{column_names, column_type_oids};
pub use redact::{redact, redact_knowing};
pub use session::{connect_with_timeouts, pool_with_timeouts, Limit, SessionTimeouts};

use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::time::Duration;

pub type PgPool = Pool<ConnectionManager<PgConnection>>;

/// Every file under `migrations/`, compiled in: the binary can always bring
/// the database to the version it expects.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations");

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The cause is rendered and redacted: libpq may quote the password.
    #[error("cannot connect to PostgreSQL at {url}: {cause}")]
    Connect { url: String, cause: String },
    #[error("cannot build a connection pool for {url}: {cause}")]
    Pool { url: String, cause: String },
    #[error("migrations failed: {0}")]
    Migrate(String),
    #[error("cannot set up the database session: {0}")]
    Session(String),
}

/// A pool whose connections all reach `url`. Fails at once if the first
/// connection cannot be made, so a wrong URL is reported at start.
pub fn pool(url: &str, max_size: u32) -> Result<PgPool, DbError> {
    build_pool(url, max_size, None)
}

/// What a pooled connection is given when it is opened.
type Customizer = Box<dyn CustomizeConnection<PgConnection, diesel::r2d2::Error>>;

fn build_pool(url: &str, max_size: u32, customizer: Option<Customizer>) -> Result<PgPool, DbError> {
    let manager = ConnectionManager::<PgConnection>::new(url);
    let mut builder = Pool::builder()
        .max_size(max_size)
        .connection_timeout(Duration::from_secs(10))
        .error_handler(Box::new(RedactedLog { url: url.to_owned() }));
    if let Some(customizer) = customizer {
        builder = builder.connection_customizer(customizer);
    }
    builder.build(manager).map_err(|e| DbError::Pool {
        url: redact_knowing(url, url),
        cause: redact_knowing(&e.to_string(), url),
    })
}

/// One connection to `url`, for work that needs no pool.
pub fn connect(url: &str) -> Result<PgConnection, DbError> {
    PgConnection::establish(url).map_err(|e| DbError::Connect {
        url: redact_knowing(url, url),
        cause: redact_knowing(&e.to_string(), url),
    })
}

/// Applies the pending migrations and returns their names.
pub fn migrate(url: &str) -> Result<Vec<String>, DbError> {
    let mut conn = connect(url)?;
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map_err(|e| DbError::Migrate(redact_knowing(&e.to_string(), url)))?;
    Ok(applied.iter().map(|m| m.to_string()).collect())
}

/// Logs what the pool meets when it connects in the background, redacted
/// (r2d2's own handler logs libpq's words as they are).
struct RedactedLog {
    url: String,
}

impl std::fmt::Debug for RedactedLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedactedLog").field("url", &redact_knowing(&self.url, &self.url)).finish()
    }
}

impl r2d2::HandleError<diesel::r2d2::Error> for RedactedLog {
    fn handle_error(&self, error: diesel::r2d2::Error) {
        let error = redact_knowing(&error.to_string(), &self.url);
        tracing::warn!(%error, "a pooled connection to PostgreSQL failed");
    }
}
