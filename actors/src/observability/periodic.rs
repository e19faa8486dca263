//! A probe that measures on a schedule beside the pipeline: every tick, its
//! measurement runs on a blocking thread, so a slow broker or database never
//! holds up the stages, and a tick missed while one ran is not made up.

use std::sync::Arc;
use std::time::Duration;

/// Runs `measure` every `every` until the actix system stops; a measurement
/// that panics stops the probe, with `stopped` logged as the reason.
pub(crate) fn every<P: Send + Sync + 'static>(
    every: Duration,
    probe: P,
    measure: fn(&P),
    stopped: &'static str,
) {
    let probe = Arc::new(probe);
    actix::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let probe = probe.clone();
            if tokio::task::spawn_blocking(move || measure(&probe)).await.is_err() {
                tracing::warn!("{stopped}");
                return;
            }
        }
    });
}
