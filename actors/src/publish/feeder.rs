//! The feeder of a publisher run: reads the source and encodes its events
//! on a thread of its own, a bounded distance ahead of the sends, so that
//! reading and mapping (a CSV line, a generated sale) overlap with handing
//! messages to Kafka instead of taking turns with it on one thread.
//!
//! It passes items on in chunks, in index order, through a bounded channel:
//! when the sends fall behind, the feeder waits. When the run stops early
//! (a failed delivery), the channel closes and the feeder stops with it.

use super::source::{EventSource, SourceError, SourceItem};
use crate::wire;
use std::sync::Arc;
use std::thread::JoinHandle;
use superstore_domain::write_sale_datum;
use tokio::sync::mpsc;

/// Items per chunk: enough to make a channel operation cheap per item.
const CHUNK: usize = 512;
/// Chunks read ahead of the sends, at most.
const CHUNKS_AHEAD: usize = 16;

/// One item, ready to send.
pub(super) enum Fed {
    /// A framed message, keyed by its order id.
    Message { index: u64, key: String, payload: Vec<u8> },
    /// An item with nothing to send.
    Skipped { index: u64 },
}

/// Why the feeder stopped before the end of the source.
#[derive(Debug, thiserror::Error)]
pub(super) enum FeedError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("cannot encode event #{index}: {detail}")]
    Encode { index: u64, detail: String },
}

pub(super) type Chunks = mpsc::Receiver<Result<Vec<Fed>, FeedError>>;

/// How the feeder encodes: the schema version and its registry id.
#[derive(Debug, Clone, Copy)]
pub(super) struct Encoding {
    pub version: u32,
    pub schema_id: i32,
}

/// Starts a feeder over the items of `source` from index `from`.
pub(super) fn spawn(
    source: Arc<dyn EventSource + Send + Sync>,
    from: u64,
    encoding: Encoding,
) -> std::io::Result<(Chunks, JoinHandle<()>)> {
    let (chunks, receiver) = mpsc::channel(CHUNKS_AHEAD);
    let handle = std::thread::Builder::new()
        .name("publish-feeder".into())
        .spawn(move || feed(source.as_ref(), from, encoding, &chunks))?;
    Ok((receiver, handle))
}

fn feed(
    source: &dyn EventSource,
    from: u64,
    encoding: Encoding,
    chunks: &mpsc::Sender<Result<Vec<Fed>, FeedError>>,
) {
    let items = match source.items(from) {
        Ok(items) => items,
        Err(e) => {
            let _ = chunks.blocking_send(Err(e.into()));
            return;
        }
    };
    let mut chunk = Vec::with_capacity(CHUNK);
    for (offset, item) in items.enumerate() {
        let index = from + offset as u64;
        match item.map_err(FeedError::from).and_then(|item| prepare(index, item, encoding)) {
            Ok(fed) => chunk.push(fed),
            Err(e) => {
                let _ = chunks.blocking_send(Err(e));
                return;
            }
        }
        if chunk.len() == CHUNK {
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
            if chunks.blocking_send(Ok(full)).is_err() {
                return; // the run stopped: nobody reads any more
            }
        }
    }
    if !chunk.is_empty() {
        let _ = chunks.blocking_send(Ok(chunk));
    }
}

fn prepare(index: u64, item: SourceItem, encoding: Encoding) -> Result<Fed, FeedError> {
    let event = match item {
        SourceItem::Event(event) => event,
        SourceItem::Skipped => return Ok(Fed::Skipped { index }),
    };
    let mut payload = wire::header(encoding.schema_id, 256);
    write_sale_datum(&event, encoding.version, &mut payload)
        .map_err(|e| FeedError::Encode { index, detail: e.to_string() })?;
    Ok(Fed::Message { index, key: event.order_id, payload })
}
