//! The event ids most recently committed to `staging.sales_events`: a
//! bounded cache of the event log, shared by the dedup stage (which drops a
//! record whose id is here) and the staging store (which fills it).
//!
//! The rule it serves: a record is dropped as a duplicate only if its id is
//! committed in staging. So an id enters the cache only once the
//! transaction that staged it has committed, or when it is read back from
//! staging at start; never when a record merely passes by. A first copy
//! that does not commit (a row PostgreSQL refuses, a batch rolled back, a
//! process stopped mid-batch) leaves its id free for the next copy, such as
//! one replayed from the dead-letter topic. An id missing from the cache
//! costs nothing but a trip to PostgreSQL, whose primary key is the final
//! guard.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// A handle on the cache; clones share it.
#[derive(Clone)]
pub struct CommittedIds(Arc<Mutex<Window>>);

/// At most `capacity` ids; the oldest leaves first.
struct Window {
    capacity: usize,
    set: HashSet<Uuid>,
    order: VecDeque<Uuid>,
}

impl CommittedIds {
    /// An empty cache of at most `capacity` ids (0 remembers nothing).
    pub fn new(capacity: usize) -> Self {
        let set = HashSet::with_capacity(capacity.min(1 << 20));
        CommittedIds(Arc::new(Mutex::new(Window { capacity, set, order: VecDeque::new() })))
    }

    pub(crate) fn capacity(&self) -> usize {
        self.lock().capacity
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().set.len()
    }

    /// Whether `id` is known to be committed in staging.
    pub fn contains(&self, id: &Uuid) -> bool {
        self.lock().set.contains(id)
    }

    /// Which of `ids` are known to be committed, by position.
    pub(crate) fn contains_each(&self, ids: impl IntoIterator<Item = Uuid>) -> Vec<bool> {
        let window = self.lock();
        ids.into_iter().map(|id| window.set.contains(&id)).collect()
    }

    /// Records ids that a transaction has just committed, as the newest.
    pub(crate) fn committed(&self, ids: impl IntoIterator<Item = Uuid>) {
        let mut window = self.lock();
        for id in ids {
            window.push_newest(id);
        }
    }

    /// Adds ids read back from staging, newest first, as older than every
    /// id already here: commits made while they were read keep their place.
    pub(crate) fn preload(&self, newest_first: impl IntoIterator<Item = Uuid>) {
        let mut window = self.lock();
        for id in newest_first {
            if window.set.len() >= window.capacity {
                break;
            }
            if window.set.insert(id) {
                window.order.push_front(id);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Window> {
        self.0.lock().expect("committed ids lock")
    }
}

impl Window {
    fn push_newest(&mut self, id: Uuid) {
        if self.capacity == 0 || !self.set.insert(id) {
            return;
        }
        self.order.push_back(id);
        if self.order.len() > self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.set.remove(&oldest);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CommittedIds;
    use uuid::Uuid;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn the_window_forgets_the_oldest_first() {
        let ids = CommittedIds::new(2);
        ids.committed([id(1), id(2), id(3)]);
        assert!(!ids.contains(&id(1)), "1 fell out of the window");
        assert_eq!(ids.contains_each([id(2), id(3), id(4)]), [true, true, false]);
        ids.committed([id(1)]);
        assert_eq!(ids.contains_each([id(1), id(2), id(3)]), [true, false, true]);
    }

    #[test]
    fn ids_read_back_from_staging_are_older_than_fresh_commits() {
        let ids = CommittedIds::new(3);
        ids.committed([id(10)]);
        ids.preload([id(3), id(2), id(1)]);
        assert_eq!(ids.contains_each([id(10), id(3), id(2), id(1)]), [true, true, true, false]);
        ids.committed([id(11)]);
        assert!(!ids.contains(&id(2)), "the oldest preloaded id leaves first");
        assert!(ids.contains(&id(10)));
    }

    #[test]
    fn a_cache_of_no_capacity_remembers_nothing() {
        let ids = CommittedIds::new(0);
        ids.committed([id(1)]);
        ids.preload([id(2)]);
        assert_eq!(ids.len(), 0);
    }
}
