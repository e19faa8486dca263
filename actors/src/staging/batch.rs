//! A batch as the writer hands it to the store: its envelopes in arrival
//! order, and the staging row of each valid one, built as the records
//! arrived. The writer builds them on its own thread while the previous
//! batch commits, so the transaction only copies them out (building rows
//! inside it would add a quarter to its time, by `scripts/bench.sh`'s
//! stage figures).

use super::rows::{RecordMeta, StagedRow};
use crate::flow::envelope::{Envelope, Verdict};
use crate::flow::headers_json::headers_to_json;

/// One batch for the store: envelopes in arrival order, each valid one with its row.
#[derive(Debug, Default)]
pub struct PreparedBatch {
    topic: String,
    envelopes: Vec<Envelope>,
    /// The row of each envelope, by index: `None` for one that is not
    /// valid, an error for a row that cannot be laid out (the commit fails
    /// on it, as a layout error, and the batch is retried).
    rows: Vec<Option<Result<StagedRow, String>>>,
}

impl PreparedBatch {
    pub(crate) fn new(topic: &str) -> Self {
        PreparedBatch { topic: topic.to_owned(), ..PreparedBatch::default() }
    }

    /// A batch of `envelopes`, their rows built at once.
    pub fn of(topic: &str, envelopes: impl IntoIterator<Item = Envelope>) -> Self {
        let mut batch = PreparedBatch::new(topic);
        batch.extend(envelopes);
        batch
    }

    /// Adds envelopes, building the row of each valid one.
    pub(crate) fn extend(&mut self, envelopes: impl IntoIterator<Item = Envelope>) {
        for envelope in envelopes {
            let row = match &envelope.verdict {
                Verdict::Valid { sale, schema_id } => {
                    let meta = record_meta(&self.topic, &envelope, *schema_id);
                    Some(StagedRow::new(sale, &meta).map_err(|e| e.to_string()))
                }
                _ => None,
            };
            self.rows.push(row);
            self.envelopes.push(envelope);
        }
    }

    pub(crate) fn topic(&self) -> &str {
        &self.topic
    }

    pub(crate) fn envelopes(&self) -> &[Envelope] {
        &self.envelopes
    }

    pub(crate) fn len(&self) -> usize {
        self.envelopes.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.envelopes.is_empty()
    }

    /// The row built for the envelope at `index`, if it is valid.
    pub(super) fn row(&self, index: usize) -> Option<&Result<StagedRow, String>> {
        self.rows.get(index).and_then(Option::as_ref)
    }
}

/// The columns the writer adds to the sale of `envelope`.
pub(super) fn record_meta<'a>(
    topic: &'a str,
    envelope: &Envelope,
    schema_id: i32,
) -> RecordMeta<'a> {
    RecordMeta {
        schema_id,
        kafka_topic: topic,
        kafka_partition: envelope.coordinates.partition,
        kafka_offset: envelope.coordinates.offset,
        kafka_timestamp: envelope.timestamp,
        kafka_headers: headers_to_json(&envelope.headers),
    }
}
