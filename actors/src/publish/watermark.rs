//! The low-water mark of confirmed deliveries: deliveries are confirmed out
//! of order across partitions, and a restart may only skip the events that
//! are confirmed together with every event before them.
//!
//! The confirmations past the mark sit in a ring of flags, one per index
//! from the mark on: confirming costs O(1), where a sorted set would cost a
//! tree insert and removal per event on the publish hot path. The ring holds at
//! most the indices in flight.

use std::collections::VecDeque;

#[derive(Debug, Default)]
pub(crate) struct AckWatermark {
    through: u64,
    /// Whether `through + i` is confirmed, for each i; the front is always
    /// unconfirmed (or the ring empty).
    ahead: VecDeque<bool>,
}

impl AckWatermark {
    pub(crate) fn starting_at(through: u64) -> Self {
        AckWatermark { through, ahead: VecDeque::new() }
    }

    /// Every index below this one is confirmed.
    pub(crate) fn through(&self) -> u64 {
        self.through
    }

    pub(crate) fn confirm(&mut self, index: u64) {
        let Some(offset) = index.checked_sub(self.through) else {
            return;
        };
        let offset = usize::try_from(offset).expect("indices in flight fit in memory");
        if offset >= self.ahead.len() {
            self.ahead.resize(offset + 1, false);
        }
        self.ahead[offset] = true;
        while self.ahead.front() == Some(&true) {
            self.ahead.pop_front();
            self.through += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mark_waits_for_the_gap_to_close() {
        let mut mark = AckWatermark::starting_at(10);
        mark.confirm(12);
        mark.confirm(11);
        assert_eq!(mark.through(), 10);
        mark.confirm(10);
        assert_eq!(mark.through(), 13);
        mark.confirm(5);
        assert_eq!(mark.through(), 13);
    }

    #[test]
    fn interleaved_partitions_and_repeats_end_at_the_count() {
        let mut mark = AckWatermark::starting_at(0);
        // Three partitions confirmed in turn, each in its own order, and
        // one confirmation repeated (a stale report of an earlier run).
        for partition in [2, 0, 1] {
            for index in (partition..3_000).step_by(3) {
                mark.confirm(index);
            }
            mark.confirm(partition);
        }
        assert_eq!(mark.through(), 3_000);
        assert!(mark.ahead.is_empty());
    }
}
