//! How many ids per second the client may find unknown at the registry: a
//! token bucket that refills at that rate and holds one second's worth.
//! Each id the registry answers "not found" costs a token; ids it has, and
//! requests that fail (an outage, retried under supervision), cost none,
//! so the cap bites only on a flood of ids nobody registered. With the
//! bucket empty, an id is answered "unknown" without asking: its record is
//! quarantined, and a replay from the dead-letter topic asks again.
//!
//! Every call takes the current instant, so tests drive time. A bucket is
//! a few lines; a rate-limiting crate would bring its own clock and more.

use std::time::Instant;

/// Unknown ids per second the client asks the registry about, unless configured.
pub const DEFAULT_UNKNOWN_SCHEMA_LOOKUPS_PER_SEC: u32 = 20;

pub(super) struct LookupBudget {
    /// Zero: no cap.
    per_second: u32,
    tokens: f64,
    refilled_at: Instant,
}

impl LookupBudget {
    pub fn new(per_second: u32, now: Instant) -> Self {
        LookupBudget { per_second, tokens: f64::from(per_second), refilled_at: now }
    }

    pub fn per_second(&self) -> u32 {
        self.per_second
    }

    /// Whether the registry may be asked about an id at `now`.
    pub fn allows(&mut self, now: Instant) -> bool {
        if self.per_second == 0 {
            return true;
        }
        self.refill(now);
        self.tokens >= 1.0
    }

    /// The registry did not have the id asked about at `now`.
    pub fn charge(&mut self, now: Instant) {
        if self.per_second == 0 {
            return;
        }
        self.refill(now);
        // Lookups allowed side by side may overdraw; the debt is repaid first.
        self.tokens = (self.tokens - 1.0).max(-f64::from(self.per_second));
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.refilled_at).as_secs_f64();
        let capacity = f64::from(self.per_second);
        self.tokens = (self.tokens + elapsed * capacity).min(capacity);
        self.refilled_at = self.refilled_at.max(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Ids found unknown over `seconds`, asked as fast as records arrive.
    fn unknown_ids_asked(budget: &mut LookupBudget, start: Instant, seconds: u64) -> u32 {
        let mut asked = 0;
        for ms in 0..seconds * 1000 {
            let now = start + Duration::from_millis(ms);
            for _ in 0..10 {
                if budget.allows(now) {
                    budget.charge(now);
                    asked += 1;
                }
            }
        }
        asked
    }

    #[test]
    fn a_flood_is_asked_about_at_the_rate_after_a_burst_of_one_second() {
        let start = Instant::now();
        let mut budget = LookupBudget::new(20, start);
        // 10,000 records a second for 5 s: 20 at once, then 20 a second.
        let asked = unknown_ids_asked(&mut budget, start, 5);
        assert!((100..=120).contains(&asked), "{asked}");
    }

    #[test]
    fn an_idle_bucket_refills_to_one_second_worth_only() {
        let start = Instant::now();
        let mut budget = LookupBudget::new(20, start);
        let asked = unknown_ids_asked(&mut budget, start, 1);
        assert!((38..=40).contains(&asked), "20 at once, then one each 50 ms: {asked}");
        let an_hour_later = start + Duration::from_secs(3600);
        let mut burst = 0;
        while budget.allows(an_hour_later) {
            budget.charge(an_hour_later);
            burst += 1;
        }
        assert_eq!(burst, 20);
    }

    #[test]
    fn zero_is_no_cap() {
        let start = Instant::now();
        let mut budget = LookupBudget::new(0, start);
        assert_eq!(unknown_ids_asked(&mut budget, start, 1), 10_000);
    }

    #[test]
    fn only_charges_use_tokens() {
        let start = Instant::now();
        let mut budget = LookupBudget::new(2, start);
        assert!((0..1000).all(|_| budget.allows(start)), "asking alone costs nothing");
        budget.charge(start);
        budget.charge(start);
        assert!(!budget.allows(start));
        assert!(budget.allows(start + Duration::from_millis(500)));
    }
}
