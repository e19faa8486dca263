//! What every supervised actor shares: the backoff before a restart, and a
//! bound on how often a run may fail before the command gives up.

use std::time::Duration;

/// After this many consecutive failures an actor stops restarting and
/// reports the last error instead.
pub const MAX_CONSECUTIVE_FAILURES: u32 = 8;

/// 200 ms, 400 ms, 800 ms… capped at 10 s.
pub fn restart_backoff(failures: u32) -> Duration {
    if failures == 0 {
        return Duration::ZERO;
    }
    let millis = 200u64.saturating_mul(1 << failures.saturating_sub(1).min(16));
    Duration::from_millis(millis.min(10_000))
}

/// Renders a caught panic payload as text.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(restart_backoff(0), Duration::ZERO);
        assert_eq!(restart_backoff(1), Duration::from_millis(200));
        assert_eq!(restart_backoff(3), Duration::from_millis(800));
        assert_eq!(restart_backoff(30), Duration::from_secs(10));
    }
}
