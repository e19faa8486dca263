//! The time limits a pipeline session carries: `lock_timeout` and
//! `statement_timeout`.
//!
//! Without them, a commit that waits on another session's lock (a
//! maintenance script's `lock table … in share mode`) waits for good, and so
//! does a shutdown that waits for that commit. With them, the wait ends in an
//! error that the writer takes for transient: it retries the batch whole,
//! under the supervision policy, and quarantines nothing.
//!
//! A limit the session already has wins over the default (set on the server,
//! the role or the database, or in `DATABASE_URL`'s `options=-c …`); one
//! given on the command line wins over both.

use diesel::pg::PgConnection;
use diesel::r2d2::CustomizeConnection;
use diesel::sql_types::Text;
use diesel::{QueryableByName, RunQueryDsl};
use std::time::Duration;

/// The session limits of the pipeline's connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimeouts {
    /// `lock_timeout`: how long one statement waits for a lock.
    pub(crate) lock: Limit,
    /// `statement_timeout`: how long one statement may run.
    pub(crate) statement: Limit,
}

/// One limit: asked for on the command line, or a default that yields to
/// one the session already has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limit {
    /// Given on the command line: set whatever the session has.
    Asked(Duration),
    /// Set only where the session has no limit of its own.
    Default(Duration),
}

impl SessionTimeouts {
    /// `lock_timeout` 10 s: far above any commit of a healthy batch, and a
    /// shutdown bound of 30 s sees a blocked commit fail and be retried.
    pub const DEFAULT_LOCK: Duration = Duration::from_secs(10);
    /// `statement_timeout` 60 s: a statement that runs longer is stuck.
    pub const DEFAULT_STATEMENT: Duration = Duration::from_secs(60);

    /// The limits asked for, the defaults for the others.
    pub fn new(lock: Option<Duration>, statement: Option<Duration>) -> Self {
        let limit =
            |asked: Option<Duration>, default| asked.map_or(Limit::Default(default), Limit::Asked);
        SessionTimeouts {
            lock: limit(lock, Self::DEFAULT_LOCK),
            statement: limit(statement, Self::DEFAULT_STATEMENT),
        }
    }

    /// Sets the limits on `conn`.
    pub fn apply(&self, conn: &mut PgConnection) -> diesel::QueryResult<()> {
        apply_limit(conn, "lock_timeout", self.lock)?;
        apply_limit(conn, "statement_timeout", self.statement)
    }
}

fn apply_limit(conn: &mut PgConnection, setting: &str, limit: Limit) -> diesel::QueryResult<()> {
    #[derive(QueryableByName)]
    struct Current {
        #[diesel(sql_type = Text)]
        value: String,
    }
    let millis = match limit {
        Limit::Asked(asked) => asked.as_millis(),
        Limit::Default(default) => {
            let current: Current = diesel::sql_query("select current_setting($1) as value")
                .bind::<Text, _>(setting)
                .get_result(conn)?;
            if current.value != "0" {
                return Ok(());
            }
            default.as_millis()
        }
    };
    diesel::sql_query("select set_config($1, $2, false)")
        .bind::<Text, _>(setting)
        .bind::<Text, _>(format!("{millis}ms"))
        .execute(conn)
        .map(|_| ())
}

/// Sets the limits on every connection the pool opens.
#[derive(Debug, Clone, Copy)]
struct WithTimeouts(SessionTimeouts);

impl CustomizeConnection<PgConnection, diesel::r2d2::Error> for WithTimeouts {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
        self.0.apply(conn).map_err(diesel::r2d2::Error::QueryError)
    }
}

/// A pool of connections to `url` that carry `timeouts`.
pub fn pool_with_timeouts(
    url: &str,
    max_size: u32,
    timeouts: SessionTimeouts,
) -> Result<super::PgPool, super::DbError> {
    super::build_pool(url, max_size, Some(Box::new(WithTimeouts(timeouts))))
}

/// One connection to `url` that carries `timeouts`.
pub fn connect_with_timeouts(
    url: &str,
    timeouts: SessionTimeouts,
) -> Result<PgConnection, super::DbError> {
    let mut conn = super::connect(url)?;
    timeouts.apply(&mut conn).map_err(|source| super::DbError::Session(source.to_string()))?;
    Ok(conn)
}

impl Default for SessionTimeouts {
    fn default() -> Self {
        SessionTimeouts::new(None, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_asked_for_win_and_the_others_are_defaults() {
        let timeouts = SessionTimeouts::new(Some(Duration::from_millis(250)), None);
        assert_eq!(timeouts.lock, Limit::Asked(Duration::from_millis(250)));
        assert_eq!(timeouts.statement, Limit::Default(SessionTimeouts::DEFAULT_STATEMENT));
    }

    /// Against the real server of `DATABASE_URL` (scripts/test.sh sets it).
    #[test]
    fn a_default_yields_to_the_sessions_own_setting_and_an_asked_limit_does_not() {
        let url = std::env::var("DATABASE_URL").expect("DATABASE_URL (scripts/test.sh sets it)");
        let setting = |conn: &mut PgConnection, name: &str| -> String {
            #[derive(QueryableByName)]
            struct Current {
                #[diesel(sql_type = Text)]
                value: String,
            }
            let row: Current = diesel::sql_query("select current_setting($1) as value")
                .bind::<Text, _>(name)
                .get_result(conn)
                .unwrap();
            row.value
        };
        let mut conn = connect_with_timeouts(&url, SessionTimeouts::default()).unwrap();
        assert_eq!(setting(&mut conn, "lock_timeout"), "10s");
        assert_eq!(setting(&mut conn, "statement_timeout"), "1min");
        diesel::sql_query("set lock_timeout = '2s'").execute(&mut conn).unwrap();
        SessionTimeouts::default().apply(&mut conn).unwrap();
        assert_eq!(setting(&mut conn, "lock_timeout"), "2s", "the session's own setting stays");
        let asked = SessionTimeouts::new(Some(Duration::from_millis(300)), None);
        asked.apply(&mut conn).unwrap();
        assert_eq!(setting(&mut conn, "lock_timeout"), "300ms");
    }
}
