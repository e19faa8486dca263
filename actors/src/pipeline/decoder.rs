//! Stage 2, the decoder: strips the Confluent framing, fetches the writer
//! schema by id from the registry (cached: ids never change, so a registry
//! outage does not stop a warm pipeline), decodes the Avro datum and
//! resolves it into the reader schema this binary was built with.
//!
//! Accepts: `Records` of raw envelopes, `Flush`.
//! Emits: the same envelopes, each `Decoded` or `Rejected` with one of
//! `missing_value`, `not_confluent_framed`, `unknown_schema_id`,
//! `unreadable_writer_schema`, `undecodable_avro`, `unresolvable_schema`,
//! or a domain reason from the mapping (`unknown_enum_symbol`, …).
//! A registry that cannot be reached is retried with backoff: the records
//! wait, none is rejected for it.

use super::envelope::{pass_on, Envelope, Flush, Quarantine, Records, Verdict};
use super::validator::Validator;
use crate::registry::{RegistryClient, RegistryClientError};
use crate::supervision::{panic_message, restart_backoff};
use crate::wire;
use actix::prelude::*;
use apache_avro::Schema;
use std::sync::Arc;
use superstore_domain::{resolve_to_reader, sale_from_avro, Rejection};

pub struct Decoder {
    registry: RegistryClient,
    reader: Arc<Schema>,
    validator: Addr<Validator>,
}

impl Decoder {
    pub fn new(registry: RegistryClient, reader: Arc<Schema>, validator: Addr<Validator>) -> Self {
        Decoder { registry, reader, validator }
    }
}

impl Actor for Decoder {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(4);
    }
}

impl Supervised for Decoder {}

fn quarantine(reason: &str, detail: impl Into<String>, schema_id: Option<i32>) -> Quarantine {
    Quarantine { reason: reason.to_owned(), detail: detail.into(), schema_id }
}

/// The writer schema of `id`, waiting out registry outages.
async fn writer_schema(registry: &RegistryClient, id: i32) -> Result<Arc<Schema>, Quarantine> {
    let mut attempt = 0;
    loop {
        match registry.schema(id).await {
            Ok(schema) => return Ok(schema),
            Err(e) if e.code() == Some(40403) => {
                return Err(quarantine("unknown_schema_id", format!("the registry has no schema {id}"), Some(id)))
            }
            Err(RegistryClientError::InvalidSchema { source, .. }) => {
                return Err(quarantine("unreadable_writer_schema", source.to_string(), Some(id)))
            }
            Err(e) => {
                attempt += 1;
                let wait = restart_backoff(attempt.min(6));
                tracing::warn!(schema_id = id, error = %e, retry_in = ?wait, "registry unavailable; retrying");
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// Decodes one framed payload with its writer schema into the reader's shape.
pub fn decode_datum(datum: &[u8], writer: &Schema, reader: &Schema, schema_id: i32) -> Result<Verdict, Quarantine> {
    let mut cursor = datum;
    let written = apache_avro::from_avro_datum(writer, &mut cursor, None)
        .map_err(|e| quarantine("undecodable_avro", e.to_string(), Some(schema_id)))?;
    if !cursor.is_empty() {
        return Err(quarantine(
            "undecodable_avro",
            format!("{} bytes follow the datum", cursor.len()),
            Some(schema_id),
        ));
    }
    let resolved = resolve_to_reader(written, reader)
        .map_err(|e| quarantine("unresolvable_schema", e.to_string(), Some(schema_id)))?;
    let event = sale_from_avro(resolved).map_err(|e| Quarantine { schema_id: Some(schema_id), ..Rejection::from(e).into() })?;
    Ok(Verdict::Decoded { event: Box::new(event), schema_id })
}

async fn decode(envelope: &mut Envelope, registry: &RegistryClient, reader: &Schema) {
    let Some(payload) = envelope.payload.as_deref() else {
        envelope.reject(quarantine("missing_value", "the record has no value (a tombstone?)", None));
        return;
    };
    let (schema_id, datum) = match wire::unframe(payload) {
        Ok(parts) => parts,
        Err(e) => return envelope.reject(quarantine("not_confluent_framed", e.to_string(), None)),
    };
    let writer = match writer_schema(registry, schema_id).await {
        Ok(schema) => schema,
        Err(q) => return envelope.reject(q),
    };
    // A decoder bug or a hostile datum must cost one record, not the process.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| decode_datum(datum, &writer, reader, schema_id)));
    envelope.verdict = match outcome {
        Ok(Ok(verdict)) => verdict,
        Ok(Err(q)) => Verdict::Rejected(q),
        Err(panic) => Verdict::Rejected(quarantine(
            "undecodable_avro",
            format!("the decoder panicked: {}", panic_message(&*panic)),
            Some(schema_id),
        )),
    };
}

impl Handler<Records> for Decoder {
    type Result = ();

    fn handle(&mut self, Records(mut envelopes): Records, ctx: &mut Context<Self>) {
        let registry = self.registry.clone();
        let reader = self.reader.clone();
        let validator = self.validator.clone();
        // `wait` holds the mailbox until this chunk is passed on: with a
        // bounded mailbox upstream, that is the backpressure.
        ctx.wait(
            async move {
                for envelope in &mut envelopes {
                    decode(envelope, &registry, &reader).await;
                }
                if let Err(e) = validator.send(Records(envelopes)).await {
                    tracing::error!(error = %e, "validator unavailable");
                }
            }
            .into_actor(self),
        );
    }
}

impl Handler<Flush> for Decoder {
    type Result = ();

    fn handle(&mut self, flush: Flush, ctx: &mut Context<Self>) {
        pass_on(ctx, &self.validator, flush);
    }
}
