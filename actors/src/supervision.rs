//! The one supervision policy of every actor (the pipeline's stages and the
//! publisher of `generate`):
//!
//! - a failed actor is restarted (or its failed step retried) after an
//!   exponential backoff: 200 ms, 400 ms, 800 ms… capped at 10 s;
//! - once it has failed more than `max_restarts` times within `window`
//!   (8 in 60 s by default, about 30 s of continuous failure;
//!   `--max-restarts`, `--restart-window-secs`), or a step retried in place
//!   has failed without a success for longer than `window` (attempts that
//!   each take long to fail), it is not restarted again: the whole command
//!   stops with exit code 5 and a message naming the actor and its last
//!   error.
//!
//! Stopping is safe: the pipeline commits each batch with its offsets in one
//! transaction, so a stopped pipeline resumes where it stood, and the
//! publisher resumes after the last event confirmed.
//!
//! Every restart it decides is counted in `superstore_actor_restarts_total`
//! (by actor), here and nowhere else.
//!
//! [`Supervision`] keeps the count for one actor and decides; how an actor
//! restarts (actix's `Supervisor`, or a retry in place that keeps its batch)
//! is its own business, and [`Escalation`] carries the decision to stop.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

/// How often an actor may fail before the command gives up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestartPolicy {
    /// Restarts allowed within `window`; the next failure stops the command.
    pub max_restarts: u32,
    /// How far back failures count.
    pub window: Duration,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        RestartPolicy { max_restarts: 8, window: Duration::from_secs(60) }
    }
}

/// The wait before the restart that follows the `failures`-th failure in a
/// row: 200 ms, 400 ms, 800 ms… capped at 10 s.
pub(crate) fn restart_backoff(failures: u32) -> Duration {
    if failures == 0 {
        return Duration::ZERO;
    }
    let millis = 200u64.saturating_mul(1 << failures.saturating_sub(1).min(16));
    Duration::from_millis(millis.min(10_000))
}

/// An actor that failed more often than its policy allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the {actor} failed {failures} times within {window_secs} s, or without a success for \
     longer than that, and was stopped; last error: {last_error}"
)]
pub struct GaveUp {
    pub(crate) actor: &'static str,
    pub(crate) failures: u32,
    pub(crate) window_secs: u64,
    pub(crate) last_error: String,
}

/// What to do after a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Restart (or retry) after this wait.
    RestartAfter(Duration),
    /// Stop the command.
    GiveUp(GaveUp),
}

/// The failure history of one actor under a policy.
#[derive(Debug, Clone)]
pub(crate) struct Supervision {
    actor: &'static str,
    policy: RestartPolicy,
    failures: VecDeque<Instant>,
}

impl Supervision {
    pub(crate) fn new(actor: &'static str, policy: RestartPolicy) -> Self {
        Supervision { actor, policy, failures: VecDeque::new() }
    }

    /// Records a failure at `now` and decides: how the tests set the clock.
    #[cfg(test)]
    pub(crate) fn failed_at(&mut self, now: Instant, error: &dyn fmt::Display) -> Decision {
        self.decide(now, None, error)
    }

    /// Records a failure now and decides.
    pub(crate) fn failed(&mut self, error: &dyn fmt::Display) -> Decision {
        self.decide(Instant::now(), None, error)
    }

    /// Records a failure of a step retried in place whose attempts have all
    /// failed since `streak_started`, and decides. Besides the count, such
    /// a step gives up once it has failed for longer than the window: an
    /// attempt that takes long to fail (a request that runs into its
    /// timeout, a statement into its `lock_timeout`) would otherwise never
    /// fail often enough within the window to stop.
    pub(crate) fn failed_since(
        &mut self,
        streak_started: Instant,
        error: &dyn fmt::Display,
    ) -> Decision {
        self.decide(Instant::now(), Some(streak_started), error)
    }

    fn decide(
        &mut self,
        now: Instant,
        streak_started: Option<Instant>,
        error: &dyn fmt::Display,
    ) -> Decision {
        while self.failures.front().is_some_and(|&t| now.duration_since(t) > self.policy.window) {
            self.failures.pop_front();
        }
        self.failures.push_back(now);
        let failures = self.failures.len() as u32;
        tracing::warn!(actor = self.actor, failures, error = %error, "actor failed");
        let too_long = streak_started.is_some_and(|t| now.duration_since(t) > self.policy.window);
        if failures > self.policy.max_restarts || too_long {
            return Decision::GiveUp(GaveUp {
                actor: self.actor,
                failures,
                window_secs: self.policy.window.as_secs(),
                last_error: error.to_string(),
            });
        }
        crate::metrics::actor_restarted(self.actor);
        Decision::RestartAfter(restart_backoff(failures))
    }

    /// Failures within the current window.
    pub(crate) fn recent_failures(&self) -> u32 {
        self.failures.len() as u32
    }
}

/// Where supervised actors report that they gave up; the command that
/// started them stops on the first report.
#[derive(Debug, Clone)]
pub(crate) struct Escalation(tokio::sync::mpsc::UnboundedSender<GaveUp>);

impl Escalation {
    pub(crate) fn channel() -> (Self, tokio::sync::mpsc::UnboundedReceiver<GaveUp>) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        (Escalation(tx), rx)
    }

    pub(crate) fn report(&self, gave_up: GaveUp) {
        tracing::error!(actor = gave_up.actor, error = %gave_up.last_error, "actor gave up");
        // The receiver is gone only when the command is already stopping.
        let _ = self.0.send(gave_up);
    }
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

    fn policy() -> RestartPolicy {
        RestartPolicy { max_restarts: 3, window: Duration::from_secs(60) }
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(restart_backoff(0), Duration::ZERO);
        assert_eq!(restart_backoff(1), Duration::from_millis(200));
        assert_eq!(restart_backoff(3), Duration::from_millis(800));
        assert_eq!(restart_backoff(30), Duration::from_secs(10));
    }

    #[test]
    fn each_failure_in_the_window_waits_twice_as_long() {
        let mut supervision = Supervision::new("source", RestartPolicy::default());
        let start = Instant::now();
        let waits: Vec<Decision> = (0..3).map(|i| supervision.failed_at(start, &i)).collect();
        let ms = |n| Decision::RestartAfter(Duration::from_millis(n));
        assert_eq!(waits, [ms(200), ms(400), ms(800)]);
    }

    #[test]
    fn the_failure_past_the_budget_gives_up_naming_the_actor_and_the_last_error() {
        let mut supervision = Supervision::new("writer", policy());
        let start = Instant::now();
        for i in 0..3 {
            assert!(matches!(supervision.failed_at(start, &i), Decision::RestartAfter(_)));
        }
        let Decision::GiveUp(gave_up) = supervision.failed_at(start, &"disk full") else {
            panic!("the fourth failure in the window gives up")
        };
        assert_eq!(gave_up.actor, "writer");
        assert_eq!(gave_up.failures, 4);
        let message = gave_up.to_string();
        assert!(message.contains("the writer failed 4 times within 60 s, or"), "{message}");
        assert!(message.ends_with("last error: disk full"), "{message}");
    }

    #[test]
    fn a_step_failing_slowly_for_longer_than_the_window_gives_up() {
        let mut supervision = Supervision::new("decoder", policy());
        let long_ago = Instant::now() - Duration::from_secs(61);
        let decision = supervision.failed_since(long_ago, &"registry timed out");
        assert!(matches!(decision, Decision::GiveUp(_)), "{decision:?}");
        let mut fresh = Supervision::new("decoder", policy());
        let decision = fresh.failed_since(Instant::now() - Duration::from_secs(15), &"timeout");
        assert_eq!(decision, Decision::RestartAfter(Duration::from_millis(200)));
    }

    #[test]
    fn failures_older_than_the_window_are_forgotten() {
        let mut supervision = Supervision::new("decoder", policy());
        let start = Instant::now();
        for i in 0..3 {
            supervision.failed_at(start, &i);
        }
        let later = start + Duration::from_secs(61);
        let decision = supervision.failed_at(later, &"again");
        assert_eq!(decision, Decision::RestartAfter(Duration::from_millis(200)));
        assert_eq!(supervision.recent_failures(), 1);
    }
}
