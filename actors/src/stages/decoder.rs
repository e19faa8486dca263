//! Stage 2, the decoder: strips the Confluent framing, fetches the writer
//! schema by id from the registry (cached: ids never change, so a registry
//! outage does not stop a warm pipeline), decodes the Avro datum and
//! resolves it into the reader schema this binary was built with (decimals
//! decoded at the writer's scale, then rescaled exactly to the reader's;
//! instants at the writer's unit, kept to the microsecond).
//! A datum written with the reader schema itself, the usual case, is read
//! straight into the event ([`ReadPath`]).
//!
//! Accepts: `Records` of raw envelopes, `Flush`.
//! A return (`ReturnRecorded`, the log's second record type) is read with
//! the return schema this binary was built with, into `DecodedReturn`.
//!
//! Emits: the same envelopes, each `Decoded`, `DecodedReturn` or `Rejected` with one of
//! `missing_value`, `not_confluent_framed`, `unknown_schema_id`,
//! `unreadable_writer_schema`, `undecodable_avro`, `unresolvable_schema`,
//! `unknown_record_type`, or a domain reason from the mapping (`unknown_enum_symbol`, …).
//! A record whose decoding panics is quarantined as `panicked_in_stage`
//! ([`crate::stages::panic_guard`]).
//! A registry that cannot be reached is retried under the supervision
//! policy: the records wait, none is rejected for it; a registry that stays
//! away stops the pipeline.

use crate::flow::envelope::{pass_on, Envelope, Flush, Records, Verdict};
use crate::flow::ledger::Ledger;
use crate::flow::quarantine::{Quarantine, QuarantineReason as Reason};
use crate::stages::panic_guard;
use crate::stages::validator::Validator;
use crate::supervision::{Decision, Escalation, Supervision};
use crate::wire;
use actix::prelude::*;
use apache_avro::schema::SchemaKind;
use apache_avro::types::Value;
use apache_avro::Schema;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use superstore_domain::{
    reads_directly, resolve_to_reader, return_from_avro, return_schema_latest, sale_from_avro,
    sale_from_datum, same_schema_with_logical_types, schema_latest, Rejection,
};
use superstore_registry::{RegistryClient, RegistryClientError};

/// The schemas this binary reads each record type with.
#[derive(Clone)]
pub(crate) struct Readers {
    /// The sale's newest released schema.
    pub(crate) sale: Arc<Schema>,
    /// The return's newest released schema.
    pub(crate) returns: Arc<Schema>,
}

impl Readers {
    /// The newest released schema of each record type.
    pub(crate) fn latest() -> Self {
        Readers {
            sale: Arc::new(schema_latest().clone()),
            returns: Arc::new(return_schema_latest().clone()),
        }
    }
}

pub(crate) struct Decoder {
    registry: RegistryClient,
    readers: Readers,
    validator: Addr<Validator>,
    /// Registry outages, under the one supervision policy.
    outages: Arc<Mutex<Supervision>>,
    escalation: Escalation,
    ledger: Arc<Ledger>,
    read_paths: ReadPaths,
}

impl Decoder {
    pub(crate) fn new(
        registry: RegistryClient,
        readers: Readers,
        validator: Addr<Validator>,
        supervision: Supervision,
        escalation: Escalation,
        ledger: Arc<Ledger>,
    ) -> Self {
        bound_avro_allocations();
        let outages = Arc::new(Mutex::new(supervision));
        let read_paths = ReadPaths::default();
        Decoder { registry, readers, validator, outages, escalation, ledger, read_paths }
    }
}

impl Actor for Decoder {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(4);
    }
}

impl Supervised for Decoder {}

/// What the decoder needs of its actor for one chunk.
#[derive(Clone)]
struct Tools {
    registry: RegistryClient,
    readers: Readers,
    outages: Arc<Mutex<Supervision>>,
    escalation: Escalation,
    ledger: Arc<Ledger>,
    read_paths: ReadPaths,
}

/// The writer schema of `id`, waiting out registry outages. When the
/// registry stays away past the policy, the pipeline is told to stop and
/// this chunk waits for the end.
async fn writer_schema(tools: &Tools, id: i32) -> Result<Arc<Schema>, Quarantine> {
    let first_attempt = std::time::Instant::now();
    loop {
        let error = match tools.registry.schema(id).await {
            Ok(schema) => return Ok(schema),
            Err(e) if e.code() == Some(40403) => {
                let detail = e.to_string();
                return Err(Quarantine::new(Reason::UnknownSchemaId, detail, Some(id)));
            }
            Err(RegistryClientError::InvalidSchema { source, .. }) => {
                let detail = source.to_string();
                return Err(Quarantine::new(Reason::UnreadableWriterSchema, detail, Some(id)));
            }
            Err(e) => e,
        };
        let decision =
            tools.outages.lock().expect("supervision lock").failed_since(first_attempt, &error);
        match decision {
            Decision::RestartAfter(wait) => tokio::time::sleep(wait).await,
            Decision::GiveUp(gave_up) => {
                tools.escalation.report(gave_up);
                std::future::pending::<()>().await;
            }
        }
    }
}

/// The largest single allocation (a string, a byte string, an array) that
/// decoding one datum may make. A sale event is a few hundred bytes, and
/// Kafka's default record limit is 1 MiB: a length prefix beyond this is
/// hostile or corrupt, and is refused as `undecodable_avro` instead of
/// allocating what it claims (apache-avro's own limit is 512 MiB).
pub(crate) const MAX_DATUM_ALLOCATION: usize = 16 << 20;

/// Sets [`MAX_DATUM_ALLOCATION`] for this process, before anything is decoded
/// (apache-avro fixes its limit on first use).
pub fn bound_avro_allocations() {
    apache_avro::util::max_allocation_bytes(MAX_DATUM_ALLOCATION);
}

/// Decodes one Avro datum (the framing removed) with its writer schema into
/// the reader's shape. Pure: no registry, no I/O.
pub fn decode_datum(
    datum: &[u8],
    writer: &Schema,
    reader: &Schema,
    schema_id: i32,
) -> Result<Verdict, Quarantine> {
    let refuse = |reason, detail: String| Quarantine::new(reason, detail, Some(schema_id));
    let written = read_datum(datum, writer, schema_id)?;
    let resolved = resolve_to_reader(written, writer, reader)
        .map_err(|e| refuse(Reason::UnresolvableSchema, e.to_string()))?;
    to_event(resolved, reader, schema_id)
}

/// The same for a datum written with the reader schema itself (the usual
/// case: the producer runs the same version as the pipeline). Resolving a
/// schema against itself changes nothing, and it was about a third of the
/// decoding time (`scripts/bench.sh`), so it is skipped.
pub fn decode_datum_as_written(
    datum: &[u8],
    schema: &Schema,
    schema_id: i32,
) -> Result<Verdict, Quarantine> {
    to_event(read_datum(datum, schema, schema_id)?, schema, schema_id)
}

/// The same, read straight from the bytes into the event when the schema
/// allows it ([`superstore_domain::reads_directly`]); a datum the direct
/// reader refuses is decoded as written, for the verdict and its reason.
/// About a fifth of the cost of the path through apache-avro's values
/// (`scripts/bench.sh`); the fuzz test holds it to the same verdicts.
pub fn decode_datum_directly(
    datum: &[u8],
    schema: &Schema,
    schema_id: i32,
) -> Result<Verdict, Quarantine> {
    match sale_from_datum(datum, schema) {
        Ok(event) => Ok(Verdict::Decoded { event: Box::new(event), schema_id }),
        Err(_) => decode_datum_as_written(datum, schema, schema_id),
    }
}

fn read_datum(datum: &[u8], writer: &Schema, schema_id: i32) -> Result<Value, Quarantine> {
    let refuse = |detail: String| Quarantine::new(Reason::UndecodableAvro, detail, Some(schema_id));
    let mut cursor = datum;
    let written = apache_avro::from_avro_datum(writer, &mut cursor, None)
        .map_err(|e| refuse(e.to_string()))?;
    if !cursor.is_empty() {
        return Err(refuse(format!("{} bytes follow the datum", cursor.len())));
    }
    Ok(written)
}

fn to_event(value: Value, shape: &Schema, schema_id: i32) -> Result<Verdict, Quarantine> {
    let event = sale_from_avro(value, shape)
        .map_err(|e| Quarantine { schema_id: Some(schema_id), ..Rejection::from(e).into() })?;
    Ok(Verdict::Decoded { event: Box::new(event), schema_id })
}

/// Decodes one return datum with its writer schema into the return
/// reader's shape, resolving it when `resolving` (the writer is another
/// version: [`ReadPath::Return`] decides it once per schema id, since
/// comparing the schemas costs more than decoding a return).
pub fn decode_return_datum(
    datum: &[u8],
    writer: &Schema,
    reader: &Schema,
    schema_id: i32,
    resolving: bool,
) -> Result<Verdict, Quarantine> {
    let refuse = |reason, detail: String| Quarantine::new(reason, detail, Some(schema_id));
    let written = read_datum(datum, writer, schema_id)?;
    let value = if resolving {
        resolve_to_reader(written, writer, reader)
            .map_err(|e| refuse(Reason::UnresolvableSchema, e.to_string()))?
    } else {
        written
    };
    let event = return_from_avro(value, reader)
        .map_err(|e| Quarantine { schema_id: Some(schema_id), ..Rejection::from(e).into() })?;
    Ok(Verdict::DecodedReturn { event: Box::new(event), schema_id })
}

/// How the datums of one writer schema are read, decided once per id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadPath {
    /// The reader schema itself, which the domain reads straight from the
    /// bytes ([`superstore_domain::sale_from_datum`]); a datum it refuses
    /// takes the next path, whose verdict counts.
    Direct,
    /// The reader schema itself, read through apache-avro's values.
    AsWritten,
    /// Another version: resolved into the reader schema.
    Resolving,
    /// A return: read with the return reader schema, resolved into it when
    /// written with another version.
    Return {
        /// Whether the writer schema differs from the reader's.
        resolving: bool,
    },
    /// A record of another type (another name, not one of the readers'
    /// aliases): not read, quarantined as `unknown_record_type`. Avro's
    /// resolution would otherwise try it field by field and refuse it for
    /// a missing field, which says nothing of what the record is.
    OtherRecord,
}

/// The [`ReadPath`] of each writer schema id seen so far.
#[derive(Clone, Default)]
struct ReadPaths(Arc<Mutex<HashMap<i32, ReadPath>>>);

impl ReadPaths {
    fn of(&self, schema_id: i32, writer: &Schema, readers: &Readers) -> ReadPath {
        let reader = &readers.sale;
        let mut known = self.0.lock().expect("read path lock");
        *known.entry(schema_id).or_insert_with(|| {
            // Avro's canonical form drops logical types: a `timestamp-micros`
            // writer would pass for a `timestamp-millis` reader.
            if same_record_type(writer, &readers.returns) {
                ReadPath::Return {
                    resolving: !same_schema_with_logical_types(writer, &readers.returns),
                }
            } else if !same_record_type(writer, reader) {
                ReadPath::OtherRecord
            } else if !same_schema_with_logical_types(writer, reader) {
                ReadPath::Resolving
            } else if reads_directly(reader) {
                ReadPath::Direct
            } else {
                ReadPath::AsWritten
            }
        })
    }
}

/// Whether `writer` is a record the reader reads: the same full name, or
/// one of the reader's aliases. A schema that is not a record is left to
/// resolution to refuse.
fn same_record_type(writer: &Schema, reader: &Schema) -> bool {
    let (Schema::Record(writer), Schema::Record(reader)) = (writer, reader) else { return true };
    let name = writer.name.fullname(None);
    name == reader.name.fullname(None)
        || reader
            .aliases
            .iter()
            .flatten()
            .any(|alias| alias.fullname(reader.name.namespace.clone()) == name)
}

/// The full name of `schema`'s record, or its kind.
fn record_name(schema: &Schema) -> String {
    match schema {
        Schema::Record(record) => record.name.fullname(None),
        other => format!("{:?}", SchemaKind::from(other)),
    }
}

/// Decodes one datum the way its writer schema's [`ReadPath`] says.
fn decode_by_path(
    path: ReadPath,
    datum: &[u8],
    writer: &Schema,
    readers: &Readers,
    schema_id: i32,
) -> Result<Verdict, Quarantine> {
    let reader = &*readers.sale;
    match path {
        ReadPath::Return { resolving } => {
            decode_return_datum(datum, writer, &readers.returns, schema_id, resolving)
        }
        ReadPath::Direct => decode_datum_directly(datum, reader, schema_id),
        ReadPath::AsWritten => decode_datum_as_written(datum, reader, schema_id),
        ReadPath::Resolving => decode_datum(datum, writer, reader, schema_id),
        ReadPath::OtherRecord => {
            let theirs = record_name(writer);
            let ours = format!("{} and {}", record_name(reader), record_name(&readers.returns));
            Err(Quarantine::new(
                Reason::UnknownRecordType,
                format!(
                    "a record of {theirs} (schema id {schema_id}); this pipeline reads only \
                     {ours}, and keeps the record as it came for one that reads it"
                ),
                Some(schema_id),
            ))
        }
    }
}

async fn decode(envelope: &mut Envelope, tools: &Tools) {
    // Refused by the source already (its metadata): nothing to decode.
    if !matches!(envelope.verdict, Verdict::Raw) {
        return;
    }
    let Some(payload) = envelope.payload.as_deref() else {
        let detail = "the record has no value (a tombstone?)";
        return envelope.reject(Quarantine::new(Reason::MissingValue, detail, None));
    };
    let (schema_id, datum) = match wire::unframe(payload) {
        Ok(parts) => parts,
        Err(e) => {
            return envelope.reject(Quarantine::new(
                Reason::NotConfluentFramed,
                e.to_string(),
                None,
            ))
        }
    };
    let writer = match writer_schema(tools, schema_id).await {
        Ok(schema) => schema,
        Err(q) => return envelope.reject(q),
    };
    // A decoder bug or a hostile datum must cost one record, not the stage.
    let readers = &tools.readers;
    let path = tools.read_paths.of(schema_id, &writer, readers);
    let outcome = panic_guard::per_record("decoder", &tools.ledger, Some(schema_id), || {
        decode_by_path(path, datum, &writer, readers, schema_id)
    });
    envelope.verdict = match outcome {
        Ok(Ok(verdict)) => verdict,
        Ok(Err(q)) | Err(q) => Verdict::Rejected(q),
    };
}

impl Handler<Records> for Decoder {
    type Result = ();

    fn handle(&mut self, Records(mut envelopes): Records, ctx: &mut Context<Self>) {
        let tools = Tools {
            registry: self.registry.clone(),
            readers: self.readers.clone(),
            outages: self.outages.clone(),
            escalation: self.escalation.clone(),
            ledger: self.ledger.clone(),
            read_paths: self.read_paths.clone(),
        };
        let validator = self.validator.clone();
        // `wait` holds the mailbox until this chunk is passed on: with a
        // bounded mailbox upstream, that is the backpressure.
        ctx.wait(
            async move {
                for envelope in &mut envelopes {
                    decode(envelope, &tools).await;
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
