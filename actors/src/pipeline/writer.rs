//! Stage 5, the batch writer: gathers envelopes into batches that close on
//! size or on linger time, and has the staging store commit each one in a
//! single transaction, one batch at a time, in order.
//!
//! Accepts: `Records`, `Flush` (commits the open batch, then answers).
//! Emits: nothing downstream; tells the ledger what each commit settled.
//! A failed commit (PostgreSQL away, a serialization failure) is retried
//! under the supervision policy, holding the mailbox, so the stages behind
//! it wait and the source pauses: nothing is dropped and nothing is
//! half-written. A commit that keeps failing stops the pipeline; the batch
//! is then read again from Kafka by the next run.

use super::envelope::{Envelope, Flush, Records};
use super::ledger::Ledger;
use crate::staging::{CommitBatch, StagingStore};
use crate::supervision::{Decision, Escalation, Supervision};
use actix::prelude::*;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub struct BatchPolicy {
    /// A batch commits once it holds this many records…
    pub max_records: usize,
    /// …or once its first record has waited this long.
    pub linger: Duration,
}

pub struct Writer {
    store: Addr<StagingStore>,
    ledger: Arc<Ledger>,
    policy: BatchPolicy,
    open: Vec<Envelope>,
    /// Increases with every batch, so a linger timer knows whether its batch is still open.
    batch_number: u64,
    /// Failed commits, under the one supervision policy.
    failures: Arc<Mutex<Supervision>>,
    escalation: Escalation,
}

impl Writer {
    pub fn new(
        store: Addr<StagingStore>,
        ledger: Arc<Ledger>,
        policy: BatchPolicy,
        supervision: Supervision,
        escalation: Escalation,
    ) -> Self {
        let failures = Arc::new(Mutex::new(supervision));
        Writer { store, ledger, policy, open: Vec::new(), batch_number: 0, failures, escalation }
    }

    /// Commits the open batch; the mailbox waits until it is durable.
    fn commit_open_batch(&mut self, ctx: &mut Context<Self>) {
        if self.open.is_empty() {
            return;
        }
        self.batch_number += 1;
        let batch = Arc::new(std::mem::take(&mut self.open));
        let store = self.store.clone();
        let ledger = self.ledger.clone();
        let failures = self.failures.clone();
        let escalation = self.escalation.clone();
        ctx.wait(
            async move {
                loop {
                    let error = match store.send(CommitBatch(batch.clone())).await {
                        Ok(Ok(outcome)) => return ledger.committed_batch(&outcome),
                        Ok(Err(e)) => e.to_string(),
                        Err(e) => format!("the staging store is unavailable: {e}"),
                    };
                    let decision = failures.lock().expect("supervision lock").failed(&error);
                    match decision {
                        Decision::RestartAfter(wait) => tokio::time::sleep(wait).await,
                        Decision::GiveUp(gave_up) => {
                            // The command stops on this report; the open
                            // transaction was rolled back whole.
                            escalation.report(gave_up);
                            std::future::pending::<()>().await;
                        }
                    }
                }
            }
            .into_actor(self),
        );
    }
}

impl Actor for Writer {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(4);
    }
}

impl Supervised for Writer {}

impl Handler<Records> for Writer {
    type Result = ();

    fn handle(&mut self, Records(envelopes): Records, ctx: &mut Context<Self>) {
        if self.open.is_empty() && !envelopes.is_empty() {
            let number = self.batch_number;
            ctx.run_later(self.policy.linger, move |writer, ctx| {
                if writer.batch_number == number {
                    writer.commit_open_batch(ctx);
                }
            });
        }
        self.open.extend(envelopes);
        if self.open.len() >= self.policy.max_records {
            self.commit_open_batch(ctx);
        }
    }
}

impl Handler<Flush> for Writer {
    type Result = ();

    fn handle(&mut self, Flush(done): Flush, ctx: &mut Context<Self>) {
        self.commit_open_batch(ctx);
        // Runs after the commit above: `wait` futures run in order.
        ctx.wait(
            async move {
                let _ = done.send(());
            }
            .into_actor(self),
        );
    }
}
