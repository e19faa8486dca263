//! Stage 3, the validator: applies the domain rules of `superstore-domain`.
//!
//! Accepts: `Records` (acts on `Decoded` envelopes), `Flush`.
//! Emits: the same envelopes, decoded ones now `Valid` (a return:
//! `ValidReturn`) or `Rejected` with the rule's reason code. A return's rules
//! here are its own; those across events are the order aggregate's, in the
//! staging transaction (`crate::staging::order_aggregate`). A record whose
//! validation panics is quarantined as `panicked_in_stage`
//! ([`crate::stages::panic_guard`]); the stage lives on.

use crate::flow::envelope::{pass_on, Flush, Records, Verdict};
use crate::flow::ledger::Ledger;
use crate::flow::quarantine::Quarantine;
use crate::stages::dedup::Dedup;
use crate::stages::panic_guard;
use actix::prelude::*;
use std::sync::Arc;
use superstore_domain::{validate, validate_return};

pub(crate) struct Validator {
    dedup: Addr<Dedup>,
    ledger: Arc<Ledger>,
}

impl Validator {
    pub(crate) fn new(dedup: Addr<Dedup>, ledger: Arc<Ledger>) -> Self {
        Validator { dedup, ledger }
    }
}

impl Actor for Validator {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(4);
    }
}

impl Supervised for Validator {}

/// The verdict of the domain rules on a decoded record; any other verdict
/// passes through unchanged.
pub(crate) fn validate_verdict(verdict: Verdict, ledger: &Ledger) -> Verdict {
    let refused = |rejection: superstore_domain::Rejection, schema_id| {
        Verdict::Rejected(Quarantine { schema_id: Some(schema_id), ..rejection.into() })
    };
    match verdict {
        Verdict::Decoded { event, schema_id } => {
            match panic_guard::per_record("validator", ledger, Some(schema_id), || validate(*event))
            {
                Ok(Ok(sale)) => Verdict::Valid { sale: Box::new(sale), schema_id },
                Ok(Err(rejection)) => refused(rejection, schema_id),
                Err(panicked) => Verdict::Rejected(panicked),
            }
        }
        Verdict::DecodedReturn { event, schema_id } => {
            let judged = panic_guard::per_record("validator", ledger, Some(schema_id), || {
                validate_return(*event)
            });
            match judged {
                Ok(Ok(event)) => Verdict::ValidReturn { event: Box::new(event), schema_id },
                Ok(Err(rejection)) => refused(rejection, schema_id),
                Err(panicked) => Verdict::Rejected(panicked),
            }
        }
        other => other,
    }
}

impl Handler<Records> for Validator {
    type Result = ();

    fn handle(&mut self, Records(mut envelopes): Records, ctx: &mut Context<Self>) {
        for envelope in &mut envelopes {
            let verdict = std::mem::replace(&mut envelope.verdict, Verdict::Raw);
            envelope.verdict = validate_verdict(verdict, &self.ledger);
        }
        pass_on(ctx, &self.dedup, Records(envelopes));
    }
}

impl Handler<Flush> for Validator {
    type Result = ();

    fn handle(&mut self, flush: Flush, ctx: &mut Context<Self>) {
        pass_on(ctx, &self.dedup, flush);
    }
}
