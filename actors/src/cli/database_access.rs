//! How commands reach PostgreSQL: one connection first, so that a refusal
//! (a wrong password, a certificate that does not verify, a plaintext
//! connection to a server that takes TLS only) is reported at once, in one
//! line naming the setting to fix (exit 2), instead of the pool retrying it
//! until its timeout. Then the pool.

use super::failure::Failure;
use superstore_database::{DbError, PgPool, SessionTimeouts};

/// A pool of `size` connections to `url`, after one connection showed the
/// server takes us.
pub fn pool(url: &str, size: u32) -> Result<PgPool, Failure> {
    superstore_database::connect(url).map_err(failure)?;
    superstore_database::pool(url, size).map_err(failure)
}

/// The same, its sessions carrying `timeouts` (the pipeline's).
pub fn pool_with_timeouts(
    url: &str,
    size: u32,
    timeouts: SessionTimeouts,
) -> Result<PgPool, Failure> {
    superstore_database::connect(url).map_err(failure)?;
    superstore_database::pool_with_timeouts(url, size, timeouts).map_err(failure)
}

/// What a failed connection means for the user.
pub fn failure(err: DbError) -> Failure {
    let message = err.to_string();
    match refusal(&message) {
        Some(fix) => {
            let cause = message.trim_end().replace('\n', " ");
            Failure::Usage(format!("PostgreSQL refused the connection: {cause}. Fix: {fix}"))
        }
        None => Failure::database(err),
    }
}

/// The setting to fix, when libpq's message names a refusal that waiting
/// cannot cure.
fn refusal(message: &str) -> Option<&'static str> {
    let says = |words: &[&str]| words.iter().any(|w| message.contains(w));
    if says(&["password authentication failed"]) {
        return Some("correct the user or password in DATABASE_URL");
    }
    if says(&["does not match host name"]) {
        return Some(
            "connect by a host name the server's certificate holds (the host of DATABASE_URL)",
        );
    }
    if says(&["certificate verify failed", "root certificate file"]) {
        return Some(
            "set sslrootcert= in DATABASE_URL to the CA certificate that signed the server's",
        );
    }
    if says(&["no encryption", "SSL off"]) {
        return Some("connect with TLS: sslmode=verify-full&sslrootcert=CA-FILE in DATABASE_URL");
    }
    if says(&["server does not support SSL"]) {
        return Some("the server speaks no TLS: lower sslmode in DATABASE_URL, or turn TLS on");
    }
    None
}
