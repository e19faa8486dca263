//! The ids the registry said it does not have, remembered for a while (the
//! negative answer), bounded in time and in count: ids taken from records
//! are producer input, and a topic of random ids must not grow memory. An
//! answer is forgotten after its TTL; past the capacity, the oldest answer
//! goes first. Every call takes the current instant, so tests drive time.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// How many unknown ids are remembered at most, unless configured.
pub const DEFAULT_UNKNOWN_IDS_REMEMBERED: usize = 10_000;

pub(super) struct UnknownIds {
    ttl: Duration,
    capacity: usize,
    answered_at: HashMap<i32, Instant>,
    /// The ids in the order they were answered: with one TTL for all, the
    /// expired ones are always at the front.
    oldest_first: VecDeque<(i32, Instant)>,
}

impl UnknownIds {
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        UnknownIds { ttl, capacity, answered_at: HashMap::new(), oldest_first: VecDeque::new() }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// How long ago the registry said it has no schema `id`, if that answer
    /// still holds at `now`.
    pub fn answered(&mut self, id: i32, now: Instant) -> Option<Duration> {
        let age = now.saturating_duration_since(*self.answered_at.get(&id)?);
        if age < self.ttl {
            return Some(age);
        }
        self.forget_expired(now);
        None
    }

    /// Remembers, at `now`, that the registry has no schema `id`.
    pub fn remember(&mut self, id: i32, now: Instant) {
        if self.ttl.is_zero() || self.capacity == 0 {
            return;
        }
        self.forget_expired(now);
        while self.answered_at.len() >= self.capacity && !self.oldest_first.is_empty() {
            self.forget_oldest();
        }
        if self.answered_at.insert(id, now).is_some() {
            // Answered again before its TTL ran out: the older entry goes.
            self.oldest_first.retain(|(entry, _)| *entry != id);
        }
        self.oldest_first.push_back((id, now));
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.answered_at.len()
    }

    fn forget_expired(&mut self, now: Instant) {
        while let Some((_, at)) = self.oldest_first.front() {
            if now.saturating_duration_since(*at) < self.ttl {
                break;
            }
            self.forget_oldest();
        }
    }

    fn forget_oldest(&mut self) {
        if let Some((id, at)) = self.oldest_first.pop_front() {
            if self.answered_at.get(&id) == Some(&at) {
                self.answered_at.remove(&id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_secs(10);

    #[test]
    fn an_answer_holds_for_its_ttl_then_is_forgotten() {
        let start = Instant::now();
        let mut unknown = UnknownIds::new(TTL, 100);
        unknown.remember(7, start);
        let later = start + Duration::from_secs(3);
        assert_eq!(unknown.answered(7, later), Some(Duration::from_secs(3)));
        assert_eq!(unknown.answered(8, later), None);
        assert_eq!(unknown.answered(7, start + TTL), None);
        assert_eq!(unknown.len(), 0, "the expired answer no longer takes memory");
    }

    #[test]
    fn random_ids_never_hold_more_than_the_capacity_and_the_oldest_go_first() {
        let start = Instant::now();
        let mut unknown = UnknownIds::new(TTL, 1_000);
        for id in 0..50_000 {
            unknown.remember(id, start);
            assert!(unknown.len() <= 1_000);
        }
        assert_eq!(unknown.len(), 1_000);
        assert_eq!(unknown.oldest_first.len(), 1_000);
        assert_eq!(unknown.answered(48_999, start), None, "evicted: older than the last 1,000");
        assert_eq!(unknown.answered(49_000, start), Some(Duration::ZERO));
        assert_eq!(unknown.answered(49_999, start), Some(Duration::ZERO));
    }

    #[test]
    fn expired_answers_are_dropped_as_new_ones_arrive_even_if_never_asked_again() {
        let start = Instant::now();
        let mut unknown = UnknownIds::new(TTL, 10_000);
        for id in 0..5_000 {
            unknown.remember(id, start);
        }
        let after_ttl = start + TTL + Duration::from_millis(1);
        unknown.remember(1_000_000, after_ttl);
        assert_eq!(unknown.len(), 1);
        assert_eq!(unknown.oldest_first.len(), 1);
    }

    #[test]
    fn an_id_answered_twice_is_held_once_from_its_last_answer() {
        let start = Instant::now();
        let mut unknown = UnknownIds::new(TTL, 10);
        unknown.remember(1, start);
        unknown.remember(1, start + Duration::from_secs(5));
        assert_eq!((unknown.len(), unknown.oldest_first.len()), (1, 1));
        let at = start + Duration::from_secs(12);
        assert_eq!(unknown.answered(1, at), Some(Duration::from_secs(7)));
    }

    #[test]
    fn a_zero_ttl_remembers_nothing() {
        let start = Instant::now();
        let mut unknown = UnknownIds::new(Duration::ZERO, 10);
        unknown.remember(1, start);
        assert_eq!((unknown.len(), unknown.answered(1, start)), (0, None));
    }
}
