//! Stage 4, dedup: drops re-sent events whose `event_id` is already
//! committed in staging.
//!
//! It reads the [`CommittedIds`] cache, which the staging store fills once a
//! transaction has committed and which this stage rebuilds from the newest
//! rows of `staging.sales_events` on start, in the background: the memory
//! is a projection of the event log, so a restart forgets nothing that was
//! committed. A record
//! whose first copy is still on its way (not yet committed) passes: the
//! commit settles the two copies in order, and staging's primary key stays
//! the final guard for ids older than the window.
//!
//! Accepts: `Records` (acts on `Valid` envelopes), `Flush`.
//! Emits: the same envelopes, a `Valid` one whose id is committed turned
//! `Duplicate`.

use crate::flow::envelope::{pass_on, Flush, Records, Verdict};
use crate::staging::committed_ids::CommittedIds;
use crate::staging::sql;
use crate::staging::writer::Writer;
use actix::prelude::*;
use superstore_database::PgPool;

pub(crate) struct Dedup {
    pool: PgPool,
    committed: CommittedIds,
    writer: Addr<Writer>,
}

impl Dedup {
    pub(crate) fn new(pool: PgPool, committed: CommittedIds, writer: Addr<Writer>) -> Self {
        Dedup { pool, committed, writer }
    }

    /// Says how the window's load ended.
    fn loaded(&mut self, loaded: Result<usize, String>) {
        match loaded {
            Ok(ids) => tracing::info!(ids, "dedup window rebuilt from staging"),
            // Not fatal: staging's primary key still refuses the duplicates.
            Err(e) => {
                let fallback = "cannot rebuild the dedup window; relying on the primary key";
                tracing::warn!(error = %e, "{fallback}")
            }
        }
    }
}

/// Ids added to the window per hold of its lock while it loads: the stage
/// and the store wait at most that long (about a millisecond) for the lock.
const LOAD_CHUNK: usize = 10_000;

/// Reads the newest ids of the event log and adds them to `committed`,
/// newest first, a chunk at a time; returns how many the window holds.
fn load_window(pool: &PgPool, committed: &CommittedIds) -> Result<usize, String> {
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let newest =
        sql::newest_event_ids(&mut conn, committed.capacity()).map_err(|e| e.to_string())?;
    drop(conn);
    for chunk in newest.chunks(LOAD_CHUNK) {
        committed.preload(chunk.iter().copied());
    }
    Ok(committed.len())
}

impl Actor for Dedup {
    type Context = Context<Self>;

    /// Loads the window on a thread of its own while records flow: on a
    /// large staging the load takes seconds, and the first commit must not
    /// wait for it. Until it is in, a re-sent event whose id is not yet in
    /// the window passes on, and the store settles it as a duplicate against
    /// staging's primary key (the insert that skips known ids), so the
    /// result is the same, only slower for those records.
    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(4);
        let (pool, committed) = (self.pool.clone(), self.committed.clone());
        let (loaded_tx, loaded) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let _ = loaded_tx.send(load_window(&pool, &committed));
        });
        let loaded = async move {
            loaded.await.unwrap_or_else(|_| Err("the loading thread stopped".to_owned()))
        };
        ctx.spawn(loaded.into_actor(self).map(|loaded, dedup, _| dedup.loaded(loaded)));
    }
}

impl Supervised for Dedup {}

impl Handler<Records> for Dedup {
    type Result = ();

    fn handle(&mut self, Records(mut envelopes): Records, ctx: &mut Context<Self>) {
        let valid_ids = envelopes.iter().filter_map(|envelope| match &envelope.verdict {
            Verdict::Valid { sale, .. } => Some(sale.event_id),
            _ => None,
        });
        let mut known = self.committed.contains_each(valid_ids).into_iter();
        for envelope in &mut envelopes {
            if matches!(envelope.verdict, Verdict::Valid { .. }) && known.next() == Some(true) {
                envelope.verdict = Verdict::Duplicate;
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
