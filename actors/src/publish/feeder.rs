//! The feeder of a publisher run: reads the source and encodes its events
//! on a thread of its own, a bounded distance ahead of the sends, so that
//! reading and mapping (a CSV line, a generated sale) overlap with handing
//! messages to Kafka instead of taking turns with it on one thread.
//!
//! It passes items on in chunks, in index order, through a bounded channel:
//! when the sends fall behind, the feeder waits. A chunk packs the keys and
//! framed payloads of its messages into one buffer, so that a message costs
//! no allocation of its own. When the run stops early (a failed delivery),
//! the channel closes and the feeder stops with it.

use super::event_source::{EventSource, SourceError, SourceItem};
use crate::wire;
use std::ops::Range;
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use superstore_domain::{return_to_datum, write_sale_datum, LATEST_RETURN_SCHEMA_VERSION};

/// Items per chunk: enough to make a channel operation cheap per item.
const CHUNK: usize = 512;
/// Chunks read ahead of the sends, at most.
const CHUNKS_AHEAD: usize = 16;
/// Bytes a framed sale usually takes with its key, to size a chunk's buffer.
const TYPICAL_MESSAGE: usize = 320;

/// Items read and encoded, in index order.
#[derive(Debug, Default)]
pub(super) struct Chunk {
    /// The keys and payloads of the messages, one after the other.
    bytes: Vec<u8>,
    entries: Vec<Entry>,
}

#[derive(Debug)]
struct Entry {
    index: u64,
    /// Where the key and the payload sit in `bytes`; None for a skipped item.
    message: Option<(Range<usize>, Range<usize>)>,
}

/// One item of a chunk, ready to send.
pub(super) enum Fed<'a> {
    /// A framed message, keyed by its order id.
    Message { index: u64, key: &'a [u8], payload: &'a [u8] },
    /// An item with nothing to send.
    Skipped { index: u64 },
}

impl Chunk {
    fn with_capacity(items: usize) -> Self {
        Chunk {
            bytes: Vec::with_capacity(items * TYPICAL_MESSAGE),
            entries: Vec::with_capacity(items),
        }
    }

    pub(super) fn items(&self) -> impl Iterator<Item = Fed<'_>> {
        self.entries.iter().map(|entry| match &entry.message {
            Some((key, payload)) => Fed::Message {
                index: entry.index,
                key: &self.bytes[key.clone()],
                payload: &self.bytes[payload.clone()],
            },
            None => Fed::Skipped { index: entry.index },
        })
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    /// Appends the item at `index`: its key and framed payload, if it has any.
    fn push(&mut self, index: u64, item: SourceItem, framing: &Framing) -> Result<(), FeedError> {
        let encode = |e: &dyn std::fmt::Display| FeedError::Encode { index, detail: e.to_string() };
        let key_start = self.bytes.len();
        let payload_start = match item {
            SourceItem::Event(event) => {
                self.bytes.extend_from_slice(event.order_id.as_bytes());
                let payload_start = self.bytes.len();
                self.bytes.extend_from_slice(&framing.header);
                write_sale_datum(&event, framing.version, &mut self.bytes)
                    .map_err(|e| encode(&e))?;
                payload_start
            }
            SourceItem::Return(event) => {
                let header = framing.return_header.as_ref().ok_or_else(|| {
                    encode(&"a return, but no return schema was registered for this run")
                })?;
                let datum = return_to_datum(&event, LATEST_RETURN_SCHEMA_VERSION)
                    .map_err(|e| encode(&e))?;
                self.bytes.extend_from_slice(event.order_id.as_bytes());
                let payload_start = self.bytes.len();
                self.bytes.extend_from_slice(header);
                self.bytes.extend_from_slice(&datum);
                payload_start
            }
            SourceItem::Skipped => {
                self.entries.push(Entry { index, message: None });
                return Ok(());
            }
        };
        let message = (key_start..payload_start, payload_start..self.bytes.len());
        self.entries.push(Entry { index, message: Some(message) });
        Ok(())
    }
}

/// Why the feeder stopped before the end of the source.
#[derive(Debug, thiserror::Error)]
pub(super) enum FeedError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("cannot encode event #{index}: {detail}")]
    Encode { index: u64, detail: String },
}

pub(super) type Chunks = mpsc::Receiver<Result<Chunk, FeedError>>;

/// How the feeder encodes: the schema version and its registry id.
#[derive(Debug, Clone, Copy)]
pub(super) struct Encoding {
    pub(crate) version: u32,
    pub(crate) schema_id: i32,
    /// The return schema's id, when the source publishes returns.
    pub(crate) return_schema_id: Option<i32>,
}

/// The framing of every message of a run: the registry header, and the
/// schema version the datum is written with.
struct Framing {
    header: Vec<u8>,
    version: u32,
    /// The header of a return, when the run may publish returns.
    return_header: Option<Vec<u8>>,
}

/// Starts a feeder over the items of `source` from index `from`.
pub(super) fn spawn(
    source: Arc<dyn EventSource + Send + Sync>,
    from: u64,
    encoding: Encoding,
) -> std::io::Result<(Chunks, JoinHandle<()>)> {
    let (chunks, receiver) = mpsc::sync_channel(CHUNKS_AHEAD);
    let framing = Framing {
        header: wire::header(encoding.schema_id, 0),
        version: encoding.version,
        return_header: encoding.return_schema_id.map(|id| wire::header(id, 0)),
    };
    let handle = std::thread::Builder::new()
        .name("publish-feeder".into())
        .spawn(move || feed(source.as_ref(), from, &framing, &chunks))?;
    Ok((receiver, handle))
}

fn feed(
    source: &dyn EventSource,
    from: u64,
    framing: &Framing,
    chunks: &mpsc::SyncSender<Result<Chunk, FeedError>>,
) {
    let items = match source.items(from) {
        Ok(items) => items,
        Err(e) => {
            let _ = chunks.send(Err(e.into()));
            return;
        }
    };
    let mut chunk = Chunk::with_capacity(CHUNK);
    for (offset, item) in items.enumerate() {
        let index = from + offset as u64;
        let pushed =
            item.map_err(FeedError::from).and_then(|item| chunk.push(index, item, framing));
        if let Err(e) = pushed {
            let _ = chunks.send(Err(e));
            return;
        }
        if chunk.len() == CHUNK {
            let full = std::mem::replace(&mut chunk, Chunk::with_capacity(CHUNK));
            if chunks.send(Ok(full)).is_err() {
                return; // the run stopped: nobody reads any more
            }
        }
    }
    if chunk.len() > 0 {
        let _ = chunks.send(Ok(chunk));
    }
}
