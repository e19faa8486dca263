//! Stage 1, the source: consumes the sales topic in group
//! `superstore-staging` (auto commit off) and hands records to the decoder
//! in chunks, in offset order per partition.
//!
//! Accepts: nothing from upstream; `Shutdown` from the runner.
//! Emits: `Records` with every consumed record (none is filtered here), then
//! `Flush` when it stops.
//! Backpressure: it pauses its partitions before anything blocks, and keeps
//! polling so that it stays in its group; the records in flight are bounded
//! by count and by bytes (see [`crate::intake::pump`], its consuming loop).
//! Kafka offsets are committed only after PostgreSQL has them, for lag
//! visibility; resuming always uses PostgreSQL's (see `assignment`).

use crate::flow::ledger::Ledger;
use crate::flow::outcomes::{SourceHalt, SourceOutcome};
use crate::intake::assignment::{AssignedPartitions, ResumeFromStaging};
use crate::intake::identity_watch::IdentityWatch;
use crate::intake::pump::{KafkaConsumer, Pump};
use crate::intake::source_settings::SourceSettings;
use crate::kafka::consumer_settings::ConsumerSettings;
use crate::kafka::outage_log::BrokerOutages;
use crate::stages::decoder::Decoder;
use crate::supervision::{panic_message, Decision, Escalation, Supervision};
use actix::prelude::*;
use futures::FutureExt;
use rdkafka::consumer::Consumer;
use rdkafka::error::KafkaError;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct Shutdown;

pub(crate) struct Source {
    settings: SourceSettings,
    decoder: Addr<Decoder>,
    ledger: Arc<Ledger>,
    stopping: Arc<AtomicBool>,
    /// Why the run must stop without a restart, once something says so.
    halt: Arc<Mutex<Option<SourceHalt>>>,
    /// The running [`IdentityWatch`] of this incarnation.
    watch: Option<SpawnHandle>,
    supervision: Supervision,
    escalation: Escalation,
    finished: Option<tokio::sync::oneshot::Sender<SourceOutcome>>,
}

impl Source {
    pub(crate) fn new(
        settings: SourceSettings,
        decoder: Addr<Decoder>,
        ledger: Arc<Ledger>,
        supervision: Supervision,
        escalation: Escalation,
        finished: tokio::sync::oneshot::Sender<SourceOutcome>,
    ) -> Self {
        let (stopping, halt) = (Arc::default(), Arc::default());
        let finished = Some(finished);
        let watch = None;
        Source {
            settings,
            decoder,
            ledger,
            stopping,
            halt,
            watch,
            supervision,
            escalation,
            finished,
        }
    }

    /// Restarts this incarnation after the policy's backoff (stopping hands
    /// the actor back to its supervisor), or reports that it gave up.
    fn fail(&mut self, ctx: &mut Context<Self>, error: &str) {
        match self.supervision.failed(&error) {
            Decision::RestartAfter(wait) => {
                ctx.run_later(wait, |_, ctx| ctx.stop());
            }
            Decision::GiveUp(gave_up) => self.escalation.report(gave_up),
        }
    }

    fn consumer(&self, assigned: AssignedPartitions) -> Result<Arc<KafkaConsumer>, KafkaError> {
        let context = ResumeFromStaging {
            pool: self.settings.pool.clone(),
            group_id: self.settings.group_id.clone(),
            topic: self.settings.topic.clone(),
            topic_id: self.settings.topic_id.clone(),
            ledger: self.ledger.clone(),
            assigned,
            halt: self.halt.clone(),
            outages: BrokerOutages::default(),
        };
        let settings = ConsumerSettings {
            kafka: &self.settings.kafka,
            group_id: &self.settings.group_id,
            instance_id: self.settings.instance_id.as_deref(),
            session_timeout: self.settings.session_timeout,
            max_poll_interval: self.settings.max_poll_interval,
            prefetch_kbytes: prefetch_kbytes(self.settings.max_in_flight_bytes),
        };
        let consumer: KafkaConsumer = settings.client_config().create_with_context(context)?;
        consumer.subscribe(&[&self.settings.topic])?;
        Ok(Arc::new(consumer))
    }
}

/// The size of librdkafka's prefetch queue for an in-flight limit of
/// `bytes`: a quarter of it, between 1 and 64 MiB.
fn prefetch_kbytes(bytes: u64) -> u64 {
    (bytes / 4 / 1024).clamp(1024, 65_536)
}

impl Actor for Source {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        // A new incarnation holds nothing until its first assignment.
        let assigned = self.settings.assigned.clone();
        assigned.lock().expect("assignment lock").clear();
        let consumer = match self.consumer(assigned.clone()) {
            Ok(consumer) => consumer,
            Err(e) => return self.fail(ctx, &format!("cannot create the Kafka consumer: {e}")),
        };
        let pump = Pump {
            settings: self.settings.clone(),
            consumer,
            assigned,
            decoder: self.decoder.clone(),
            ledger: self.ledger.clone(),
            stopping: self.stopping.clone(),
            halt: self.halt.clone(),
        };
        let watch = IdentityWatch {
            kafka: self.settings.kafka.clone(),
            topic: self.settings.topic.clone(),
            topic_id: self.settings.topic_id.clone(),
            halt: self.halt.clone(),
        };
        self.watch = Some(ctx.spawn(watch.run().into_actor(self)));
        let run = std::panic::AssertUnwindSafe(pump.run()).catch_unwind();
        ctx.spawn(run.into_actor(self).map(|outcome, act, ctx| match outcome {
            _ if act.halted() => {
                let halt = act.halt.lock().expect("halt lock").take().expect("halted");
                act.finish(Err(halt))
            }
            Ok(Ok(reason)) => act.finish(Ok(reason)),
            // A restart would stop again at once, failing the same way.
            Ok(Err(e)) if act.stopping.load(Ordering::SeqCst) => {
                act.finish(Err(SourceHalt::FlushLost(e)))
            }
            Ok(Err(e)) => act.fail(ctx, &e),
            Err(panic) => act.fail(ctx, &format!("panicked: {}", panic_message(&*panic))),
        }));
    }
}

impl Source {
    fn halted(&self) -> bool {
        self.halt.lock().expect("halt lock").is_some()
    }

    fn finish(&mut self, outcome: SourceOutcome) {
        if let Some(finished) = self.finished.take() {
            let _ = finished.send(outcome);
        }
    }
}

impl Supervised for Source {
    fn restarting(&mut self, ctx: &mut Context<Self>) {
        if let Some(watch) = self.watch.take() {
            ctx.cancel_future(watch);
        }
        self.ledger.restarted();
        let failures = self.supervision.recent_failures();
        tracing::warn!(failures, "source restarting; it resumes from the staged offsets");
    }
}

impl Handler<Shutdown> for Source {
    type Result = ();

    fn handle(&mut self, _: Shutdown, _ctx: &mut Context<Self>) {
        self.stopping.store(true, Ordering::SeqCst);
    }
}
