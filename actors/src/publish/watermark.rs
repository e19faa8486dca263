//! The low-water mark of confirmed deliveries: deliveries are confirmed out
//! of order across partitions, and a restart may only skip the events that
//! are confirmed together with every event before them.

use std::collections::BTreeSet;

#[derive(Debug, Default)]
pub struct AckWatermark {
    through: u64,
    ahead: BTreeSet<u64>,
}

impl AckWatermark {
    pub fn starting_at(through: u64) -> Self {
        AckWatermark { through, ahead: BTreeSet::new() }
    }

    /// Every index below this one is confirmed.
    pub fn through(&self) -> u64 {
        self.through
    }

    pub fn confirm(&mut self, index: u64) {
        if index < self.through {
            return;
        }
        self.ahead.insert(index);
        while self.ahead.remove(&self.through) {
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
}
