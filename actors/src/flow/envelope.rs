//! What travels between the stages: every consumed Kafka record, wrapped
//! with its coordinates and, as it moves along, its verdict. No stage drops
//! an envelope: each record reaches the writer as accepted, rejected or
//! duplicate, so that every offset is accounted for in the batch that
//! commits it.

use crate::flow::quarantine::Quarantine;
use actix::Message;
use chrono::{DateTime, Utc};
use superstore_domain::{Return, ReturnEvent, Sale, SaleEvent};

/// Where a record sits in Kafka.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Coordinates {
    /// The partition of the topic.
    pub partition: i32,
    /// The record's offset in that partition.
    pub offset: i64,
}

/// How far a record got.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// Consumed, not yet decoded.
    Raw,
    /// Decoded into the reader schema's shape, not yet validated.
    Decoded {
        /// The event, in the reader schema's shape.
        event: Box<SaleEvent>,
        /// The registry id of the schema the record was written with.
        schema_id: i32,
    },
    /// Passed every domain rule.
    Valid {
        /// The validated sale, as staging stores it.
        sale: Box<Sale>,
        /// The registry id of the schema the record was written with.
        schema_id: i32,
    },
    /// A return, decoded into the reader schema's shape, not yet validated.
    DecodedReturn {
        /// The return, in the reader schema's shape.
        event: Box<ReturnEvent>,
        /// The registry id of the schema the record was written with.
        schema_id: i32,
    },
    /// A return that passed its own rules; the order aggregate judges it
    /// against its order in the staging transaction.
    ValidReturn {
        /// The validated return.
        event: Box<Return>,
        /// The registry id of the schema the record was written with.
        schema_id: i32,
    },
    /// Seen before (by `event_id`): nothing to insert.
    Duplicate,
    /// Refused, to be quarantined with its bytes.
    Rejected(Quarantine),
}

/// One header of a Kafka record: a key, and bytes or nothing. The key is
/// bytes too: it comes from the producer, which may not have sent UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The header's key, as the producer sent it.
    pub key: Vec<u8>,
    /// The header's value; `None` for a header sent without one.
    pub value: Option<Vec<u8>>,
}

/// One consumed record on its way to staging: its bytes as Kafka gave them,
/// and the verdict of the stages so far.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// Where the record sits in Kafka: the offset its batch commits past.
    pub coordinates: Coordinates,
    /// The record's key, if it has one.
    pub key: Option<Vec<u8>>,
    /// The record's value (a Confluent-framed Avro datum, unless refused for it).
    pub payload: Option<Vec<u8>>,
    /// The record's own timestamp, if it has one.
    pub timestamp: Option<DateTime<Utc>>,
    /// The record's headers, in order.
    pub headers: Vec<Header>,
    /// How far the record got through the stages.
    pub verdict: Verdict,
}

impl Envelope {
    /// Marks the record refused, with the reason it is quarantined for.
    pub(crate) fn reject(&mut self, quarantine: Quarantine) {
        self.verdict = Verdict::Rejected(quarantine);
    }

    /// The bytes the record brought from Kafka (its key, value and
    /// headers): what the source's in-flight limit counts.
    pub(crate) fn size_bytes(&self) -> u64 {
        let len = |bytes: &Option<Vec<u8>>| bytes.as_ref().map_or(0, Vec::len) as u64;
        let headers: u64 = self.headers.iter().map(|h| h.key.len() as u64 + len(&h.value)).sum();
        len(&self.key) + len(&self.payload) + headers
    }
}

/// A chunk of envelopes handed from one stage to the next, in offset order
/// per partition.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct Records(pub(crate) Vec<Envelope>);

/// Sent down the chain behind the last records on shutdown: each stage
/// forwards it after everything before it, and the writer answers it once
/// its open batch is committed.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct Flush(pub(crate) tokio::sync::oneshot::Sender<()>);

/// Hands `message` to the next stage, holding this stage's mailbox until the
/// next one has taken it: with bounded mailboxes, that is the backpressure.
pub(crate) fn pass_on<A, B, M>(ctx: &mut actix::Context<A>, next: &actix::Addr<B>, message: M)
where
    A: actix::Actor<Context = actix::Context<A>>,
    B: actix::Actor + actix::Handler<M>,
    B::Context: actix::dev::ToEnvelope<B, M>,
    M: actix::Message<Result = ()> + Send + 'static,
{
    use actix::AsyncContext;
    let next = next.clone();
    ctx.wait(actix::fut::wrap_future(async move {
        if let Err(e) = next.send(message).await {
            tracing::error!(error = %e, "the next pipeline stage is gone");
        }
    }));
}
