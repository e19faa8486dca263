//! The `Row ID`s seen in one file, to refuse a line that repeats one (it
//! would get the same event id as the earlier line, and be taken for a
//! re-sent copy). Row IDs are usually 1, 2, 3…: those below a bound live in
//! a bitmap, read and written in order; any others in a hash set.

use std::collections::HashSet;

/// Row IDs below this go to the bitmap (16 MiB at most).
const DENSE_LIMIT: u64 = 1 << 27;

#[derive(Debug, Default)]
pub(super) struct SeenRowIds {
    dense: Vec<u64>,
    sparse: HashSet<i64>,
}

impl SeenRowIds {
    /// Records `row_id`; `false` if it was already seen.
    pub(crate) fn insert(&mut self, row_id: i64) -> bool {
        match u64::try_from(row_id) {
            Ok(id) if id < DENSE_LIMIT => {
                let (word, bit) = ((id / 64) as usize, 1u64 << (id % 64));
                if word >= self.dense.len() {
                    self.dense.resize((word + 1).next_power_of_two(), 0);
                }
                let fresh = self.dense[word] & bit == 0;
                self.dense[word] |= bit;
                fresh
            }
            _ => self.sparse.insert(row_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_id_is_fresh_once_wherever_it_lives() {
        let mut seen = SeenRowIds::default();
        for id in [1, 2, 64, 65, 0, -7, i64::MAX, (1 << 27) + 3] {
            assert!(seen.insert(id), "{id} is new");
            assert!(!seen.insert(id), "{id} is seen");
        }
        assert!(seen.insert(3));
    }
}
