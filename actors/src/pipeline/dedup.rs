//! Stage 4, dedup: drops re-sent events by `event_id`.
//!
//! It remembers the most recent `window` accepted ids. The memory is a
//! projection of the event log: on start it is rebuilt from the newest rows
//! of `staging.sales_events`, so a restart forgets nothing that was
//! committed. The primary key of staging stays the final guard for ids older
//! than the window (the writer counts those as duplicates too).
//!
//! Accepts: `Records` (acts on `Valid` envelopes), `Flush`.
//! Emits: the same envelopes, a repeated `Valid` one turned `Duplicate`.

use super::envelope::{pass_on, Flush, Records, Verdict};
use super::writer::Writer;
use crate::staging::sql;
use actix::prelude::*;
use std::collections::{HashSet, VecDeque};
use superstore_database::PgPool;
use uuid::Uuid;

/// The ids seen most recently, bounded.
struct RecentIds {
    capacity: usize,
    set: HashSet<Uuid>,
    order: VecDeque<Uuid>,
}

impl RecentIds {
    fn new(capacity: usize) -> Self {
        RecentIds {
            capacity,
            set: HashSet::with_capacity(capacity.min(1 << 20)),
            order: VecDeque::new(),
        }
    }

    /// Records `id`; false if it was already there.
    fn insert(&mut self, id: Uuid) -> bool {
        if !self.set.insert(id) {
            return false;
        }
        self.order.push_back(id);
        if self.order.len() > self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.set.remove(&oldest);
            }
        }
        true
    }

    fn len(&self) -> usize {
        self.set.len()
    }
}

pub struct Dedup {
    pool: PgPool,
    recent: RecentIds,
    writer: Addr<Writer>,
}

impl Dedup {
    pub fn new(pool: PgPool, window: usize, writer: Addr<Writer>) -> Self {
        Dedup { pool, recent: RecentIds::new(window), writer }
    }

    /// Replaces the window with the newest ids of the event log (newest first).
    fn install(&mut self, loaded: Result<Vec<Uuid>, String>) {
        match loaded {
            Ok(newest) => {
                self.recent = RecentIds::new(self.recent.capacity);
                for id in newest.into_iter().rev() {
                    self.recent.insert(id);
                }
                tracing::info!(ids = self.recent.len(), "dedup window rebuilt from staging");
            }
            // Not fatal: staging's primary key still refuses the duplicates.
            Err(e) => {
                let fallback = "cannot rebuild the dedup window; relying on the primary key";
                tracing::warn!(error = %e, "{fallback}")
            }
        }
    }
}

/// The newest `limit` ids of the event log, newest first.
fn newest_ids(pool: &PgPool, limit: usize) -> Result<Vec<Uuid>, String> {
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    sql::newest_event_ids(&mut conn, limit).map_err(|e| e.to_string())
}

impl Actor for Dedup {
    type Context = Context<Self>;

    /// Loads the window on a thread of its own (half a million ids take a
    /// good part of a second, which was start-up time when it blocked the
    /// arbiter): the other stages start meanwhile, and this one takes no
    /// record before its window is loaded.
    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(4);
        let (pool, limit) = (self.pool.clone(), self.recent.capacity);
        let (loaded_tx, loaded) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let _ = loaded_tx.send(newest_ids(&pool, limit));
        });
        let loaded = async move {
            loaded.await.unwrap_or_else(|_| Err("the loading thread stopped".to_owned()))
        };
        ctx.wait(loaded.into_actor(self).map(|loaded, dedup, _| dedup.install(loaded)));
    }
}

impl Supervised for Dedup {}

impl Handler<Records> for Dedup {
    type Result = ();

    fn handle(&mut self, Records(mut envelopes): Records, ctx: &mut Context<Self>) {
        for envelope in &mut envelopes {
            if let Verdict::Valid { sale, .. } = &envelope.verdict {
                if !self.recent.insert(sale.event_id) {
                    envelope.verdict = Verdict::Duplicate;
                }
            }
        }
        pass_on(ctx, &self.writer, Records(envelopes));
    }
}

impl Handler<Flush> for Dedup {
    type Result = ();

    fn handle(&mut self, flush: Flush, ctx: &mut Context<Self>) {
        pass_on(ctx, &self.writer, flush);
    }
}

#[cfg(test)]
mod tests {
    use super::RecentIds;
    use uuid::Uuid;

    #[test]
    fn the_window_forgets_the_oldest_first() {
        let mut recent = RecentIds::new(2);
        let (a, b, c) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        assert!(recent.insert(a));
        assert!(!recent.insert(a));
        assert!(recent.insert(b));
        assert!(recent.insert(c));
        assert!(recent.insert(a), "a fell out of the window");
        assert!(!recent.insert(c));
    }
}
