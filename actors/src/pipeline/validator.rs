//! Stage 3, the validator: applies the domain rules of `superstore-domain`.
//!
//! Accepts: `Records` (acts on `Decoded` envelopes), `Flush`.
//! Emits: the same envelopes, decoded ones now `Valid` or `Rejected` with
//! the rule's reason code.

use super::dedup::Dedup;
use super::envelope::{pass_on, Flush, Records, Verdict};
use super::quarantine::Quarantine;
use actix::prelude::*;
use superstore_domain::validate;

pub struct Validator {
    dedup: Addr<Dedup>,
}

impl Validator {
    pub fn new(dedup: Addr<Dedup>) -> Self {
        Validator { dedup }
    }
}

impl Actor for Validator {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(4);
    }
}

impl Supervised for Validator {}

impl Handler<Records> for Validator {
    type Result = ();

    fn handle(&mut self, Records(mut envelopes): Records, ctx: &mut Context<Self>) {
        for envelope in &mut envelopes {
            if let Verdict::Decoded { .. } = envelope.verdict {
                let Verdict::Decoded { event, schema_id } =
                    std::mem::replace(&mut envelope.verdict, Verdict::Raw)
                else {
                    unreachable!("matched above")
                };
                envelope.verdict = match validate(*event) {
                    Ok(sale) => Verdict::Valid { sale: Box::new(sale), schema_id },
                    Err(rejection) => Verdict::Rejected(Quarantine {
                        schema_id: Some(schema_id),
                        ..rejection.into()
                    }),
                };
            }
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
