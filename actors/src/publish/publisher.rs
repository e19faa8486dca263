//! The publisher actor: draws events from its source (the seeded generator,
//! or the lines of imported files), encodes them in Avro with the Confluent
//! framing, and sends them keyed by `order_id` through an idempotent
//! producer.
//!
//! It is supervised, under the one policy of `crate::supervision`. A failed
//! run (a delivery error, even a panic) stops the actor; its supervisor
//! restarts it after a backoff, and the new run reads the same sequence
//! again from the source and resumes after the last event whose delivery,
//! and that of every event before it, was confirmed. Past the policy's
//! budget it gives up and reports why. A source that cannot go on (a
//! damaged file) is not retried: it would fail the same way.
//! Events past that mark may be sent twice: the pipeline deduplicates by
//! `event_id`, so at-least-once is what this stage promises.

use super::delivery::PublishProducer;
use super::event_source::SharedSource;
use super::plan::{PublishError, PublishPlan, PublishReport};
use super::send_loop::{run, Progress};
use crate::supervision::{panic_message, Decision, Supervision};
use actix::prelude::*;
use indicatif::ProgressBar;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;

pub(crate) struct Publisher {
    plan: PublishPlan,
    source: SharedSource,
    producer: Arc<PublishProducer>,
    progress: ProgressBar,
    /// Every event before this index is confirmed delivered.
    confirmed: Arc<AtomicU64>,
    delivered: Arc<AtomicU64>,
    supervision: Supervision,
    /// The wait before the next run starts.
    backoff: Duration,
    restarts: u32,
    done: Option<oneshot::Sender<Result<PublishReport, PublishError>>>,
}

impl Publisher {
    pub(crate) fn new(
        plan: PublishPlan,
        source: SharedSource,
        producer: Arc<PublishProducer>,
        progress: ProgressBar,
        supervision: Supervision,
        done: oneshot::Sender<Result<PublishReport, PublishError>>,
    ) -> Self {
        Publisher {
            plan,
            source,
            producer,
            progress,
            confirmed: Arc::default(),
            delivered: Arc::default(),
            supervision,
            backoff: Duration::ZERO,
            restarts: 0,
            done: Some(done),
        }
    }

    /// Starts one run on a sending thread of its own; its outcome comes
    /// back to the actor, a panic included.
    fn start_run(&mut self, ctx: &mut Context<Self>) {
        let progress = Progress {
            confirmed: self.confirmed.clone(),
            delivered: self.delivered.clone(),
            bar: self.progress.clone(),
        };
        let (plan, source, producer) =
            (self.plan.clone(), self.source.clone(), self.producer.clone());
        let (outcome_tx, outcome_rx) = oneshot::channel();
        let spawned = std::thread::Builder::new().name("publish-sender".into()).spawn(move || {
            let outcome =
                catch_unwind(AssertUnwindSafe(|| run(&plan, source, &producer, &progress)))
                    .unwrap_or_else(|payload| {
                        Err(PublishError::Panicked(panic_message(&*payload)))
                    });
            let _ = outcome_tx.send(outcome);
        });
        if let Err(e) = spawned {
            let err = PublishError::Panicked(format!("cannot start the sender thread: {e}"));
            return self.finish_run(Err(err), ctx);
        }
        let outcome = async move { outcome_rx.await.unwrap_or(Err(PublishError::Canceled)) };
        ctx.spawn(outcome.into_actor(self).map(|result, act, ctx| act.finish_run(result, ctx)));
    }

    fn finish_run(&mut self, result: Result<(), PublishError>, ctx: &mut Context<Self>) {
        match result {
            Ok(()) => {
                let report = PublishReport {
                    items: self.confirmed.load(Ordering::SeqCst),
                    delivered: self.delivered.load(Ordering::SeqCst),
                    restarts: self.restarts,
                };
                if let Some(done) = self.done.take() {
                    let _ = done.send(Ok(report));
                }
            }
            Err(err) if !err.is_retryable() => {
                if let Some(done) = self.done.take() {
                    let _ = done.send(Err(err));
                }
            }
            Err(err) => match self.supervision.failed(&err) {
                Decision::RestartAfter(wait) => {
                    self.backoff = wait;
                    // Stopping hands the actor back to its supervisor, which restarts it.
                    ctx.stop();
                }
                Decision::GiveUp(gave_up) => {
                    if let Some(done) = self.done.take() {
                        let _ = done.send(Err(gave_up.into()));
                    }
                }
            },
        }
    }
}

impl Actor for Publisher {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.run_later(self.backoff, |act, ctx| act.start_run(ctx));
    }
}

impl Supervised for Publisher {
    fn restarting(&mut self, _ctx: &mut Context<Self>) {
        self.restarts += 1;
        tracing::info!(
            restarts = self.restarts,
            resume_at = self.confirmed.load(Ordering::SeqCst),
            "publisher restarting"
        );
    }
}
