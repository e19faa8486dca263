//! Stage 5, the batch writer: gathers envelopes into batches that close on
//! size or on linger time, building the staging row of each valid record as
//! it arrives, and has the staging store commit each batch in a single
//! transaction, one batch at a time, in order ([`Committer`]). The next
//! batch gathers while the previous one commits.
//!
//! Every second, between batches, the committer also has the store release
//! the held returns whose bound has passed ([`StagingStore::release_expired`]):
//! on an idle topic no batch would.
//!
//! Accepts: `Records`, `Flush` (commits the open batch, then answers).
//! Emits: nothing downstream; tells the ledger what each commit settled.
//! A failed commit (PostgreSQL away, a serialization failure) is retried
//! under the supervision policy; the batch closed after it waits, and then
//! the mailbox holds, so the stages behind it wait and the source pauses:
//! nothing is dropped and nothing is half-written. A commit that keeps
//! failing stops the pipeline; the batch is then read again from Kafka by
//! the next run.

use crate::flow::envelope::{Flush, Records};
use crate::flow::ledger::Ledger;
use crate::staging::batch::PreparedBatch;
use crate::staging::StagingStore;
use crate::supervision::{Decision, Escalation, Supervision};
use actix::prelude::*;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// When the writer closes a batch: whichever comes first.
#[derive(Debug, Clone, Copy)]
pub struct BatchPolicy {
    /// A batch commits once it holds this many records…
    pub max_records: usize,
    /// …or once its first record has waited this long.
    pub linger: Duration,
}

pub(crate) struct Writer {
    topic: String,
    policy: BatchPolicy,
    /// The batch being gathered, its rows built as its records arrive.
    open: PreparedBatch,
    /// Increases with every batch, so a linger timer knows whether its batch is still open.
    batch_number: u64,
    /// What the committer needs; taken when it starts.
    committer: Option<Committer>,
    /// Closed batches, to the committer.
    jobs: Option<mpsc::Sender<Job>>,
}

impl Writer {
    pub(crate) fn new(
        topic: &str,
        store: StagingStore,
        ledger: Arc<Ledger>,
        policy: BatchPolicy,
        supervision: Supervision,
        escalation: Escalation,
    ) -> Self {
        let failures = Arc::new(Mutex::new(supervision));
        let committer = Committer { store, ledger, failures, escalation };
        Writer {
            topic: topic.to_owned(),
            policy,
            open: PreparedBatch::new(topic),
            batch_number: 0,
            committer: Some(committer),
            jobs: None,
        }
    }

    /// Hands the open batch to the committer. The mailbox waits only while
    /// a batch is already waiting behind the one committing.
    fn close_open_batch(&mut self, ctx: &mut Context<Self>) {
        let jobs: Vec<Job> = self.take_open_batch().into_iter().collect();
        self.send_jobs(ctx, jobs, async {});
    }

    /// The open batch as a job for the committer, if it holds anything.
    fn take_open_batch(&mut self) -> Option<Job> {
        if self.open.is_empty() {
            return None;
        }
        self.batch_number += 1;
        let batch = std::mem::replace(&mut self.open, PreparedBatch::new(&self.topic));
        Some(Job::Commit(Arc::new(batch)))
    }

    /// Sends `jobs` in order, then runs `then`, holding the mailbox until
    /// done. One future for the whole sequence: actix runs the futures of
    /// `ctx.wait` newest first, so two of them would run out of order.
    fn send_jobs(
        &mut self,
        ctx: &mut Context<Self>,
        jobs: Vec<Job>,
        then: impl std::future::Future<Output = ()> + 'static,
    ) {
        let sender = self.jobs.clone().expect("the committer starts with the writer");
        ctx.wait(
            async move {
                for job in jobs {
                    if sender.send(job).await.is_err() {
                        tracing::error!("the writer's committer has stopped");
                    }
                }
                then.await;
            }
            .into_actor(self),
        );
    }
}

/// What the committer is asked to do, in order.
enum Job {
    Commit(Arc<PreparedBatch>),
    /// Answered once every batch sent before it has committed.
    Barrier(oneshot::Sender<()>),
    /// Quarantines the held returns past their bound.
    ReleaseExpired,
}

/// How often the committer looks for held returns past their bound.
const RELEASE_EVERY: Duration = Duration::from_secs(1);

/// Commits the closed batches one at a time, in the order they closed, on
/// a thread of its own: the writer gathers (and builds the rows of) the next
/// batch meanwhile, and the next batch goes to the store as soon as the one
/// before has committed, not once the stages' thread is between chunks. A
/// batch is never sent to the store before the one before it has committed,
/// so the offsets of a later batch can never pass an earlier one that failed.
struct Committer {
    store: StagingStore,
    ledger: Arc<Ledger>,
    /// Failed commits, under the one supervision policy.
    failures: Arc<Mutex<Supervision>>,
    escalation: Escalation,
}

/// Closed batches that may wait behind the one committing.
const WAITING_BATCHES: usize = 1;

impl Committer {
    fn spawn(mut self) -> mpsc::Sender<Job> {
        let (jobs, mut received) = mpsc::channel(WAITING_BATCHES);
        let arbiter = Arbiter::new();
        arbiter.spawn(async move {
            while let Some(job) = received.recv().await {
                match job {
                    Job::Commit(batch) => self.commit(batch).await,
                    Job::Barrier(done) => {
                        let _ = done.send(());
                    }
                    Job::ReleaseExpired => self.release_expired(),
                }
            }
            // The writer is gone, and its thread with it.
            Arbiter::current().stop();
        });
        jobs
    }

    /// Releases the held returns past their bound; a failure waits for the
    /// next tick (the returns stay held, nothing is lost).
    fn release_expired(&mut self) {
        match self.store.release_expired() {
            Ok(outcome) => self.ledger.committed_batch(&outcome),
            Err(e) => tracing::warn!(error = %e, "cannot release the held returns; will retry"),
        }
    }

    /// Commits `batch`, retrying under the supervision policy; a commit
    /// that keeps failing stops the pipeline and this task waits for the end.
    async fn commit(&mut self, batch: Arc<PreparedBatch>) {
        let first_attempt = std::time::Instant::now();
        loop {
            // Blocks this thread, which has nothing else to do meanwhile.
            let error = match self.store.commit(&batch) {
                Ok(outcome) => return self.ledger.committed_batch(&outcome),
                Err(e) => e.to_string(),
            };
            let decision =
                self.failures.lock().expect("supervision lock").failed_since(first_attempt, &error);
            match decision {
                Decision::RestartAfter(wait) => tokio::time::sleep(wait).await,
                Decision::GiveUp(gave_up) => {
                    // The command stops on this report; the open
                    // transaction was rolled back whole.
                    self.escalation.report(gave_up);
                    std::future::pending::<()>().await;
                }
            }
        }
    }
}

impl Actor for Writer {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(4);
        // Once: a restarted writer keeps the committer and its order.
        if let Some(committer) = self.committer.take() {
            self.jobs = Some(committer.spawn());
        }
        // Skipped while batches queue: each batch's commit releases too.
        let tick = |writer: &mut Self, _: &mut Context<Self>| {
            if let Some(jobs) = &writer.jobs {
                let _ = jobs.try_send(Job::ReleaseExpired);
            }
        };
        tick(self, ctx);
        ctx.run_interval(RELEASE_EVERY, tick);
    }
}

impl Supervised for Writer {}

impl Handler<Records> for Writer {
    type Result = ();

    /// A chunk may close several batches: each holds `max_records` at most.
    fn handle(&mut self, Records(envelopes): Records, ctx: &mut Context<Self>) {
        let mut closed = Vec::new();
        for envelope in envelopes {
            if self.open.is_empty() {
                let number = self.batch_number;
                ctx.run_later(self.policy.linger, move |writer, ctx| {
                    if writer.batch_number == number {
                        writer.close_open_batch(ctx);
                    }
                });
            }
            self.open.extend([envelope]);
            if self.open.len() >= self.policy.max_records {
                closed.extend(self.take_open_batch());
            }
        }
        if !closed.is_empty() {
            self.send_jobs(ctx, closed, async {});
        }
    }
}

impl Handler<Flush> for Writer {
    type Result = ();

    fn handle(&mut self, Flush(done): Flush, ctx: &mut Context<Self>) {
        // Answered once the committer has committed everything before it.
        let (committed, barrier) = oneshot::channel();
        let mut jobs: Vec<Job> = self.take_open_batch().into_iter().collect();
        jobs.push(Job::Barrier(committed));
        self.send_jobs(ctx, jobs, async move {
            let _ = barrier.await;
            let _ = done.send(());
        });
    }
}
