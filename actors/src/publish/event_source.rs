//! What a publisher publishes: a source of sale events that can be read
//! again from any index, giving the same item at the same index every time
//! (a seeded generator, the lines of a set of files). That is what lets a
//! restarted publisher resume after the last confirmed event.

use superstore_domain::{ReturnEvent, SaleEvent};

/// One item of a source, at one index.
#[derive(Debug)]
pub enum SourceItem {
    /// An event to publish, keyed by its `order_id`.
    Event(Box<SaleEvent>),
    /// A return to publish, keyed by its `order_id` like the sale it returns.
    Return(Box<ReturnEvent>),
    /// An index that publishes nothing (a refused line of a file, recorded
    /// by the source itself): it counts as done at once.
    Skipped,
}

/// A source that cannot go on: a damaged file, a generator that cannot
/// start. Not retried: reading it again would fail the same way.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SourceError(pub(crate) String);

/// The items of a source, in index order.
pub type SourceItems<'a> = Box<dyn Iterator<Item = Result<SourceItem, SourceError>> + 'a>;

/// A restartable, deterministic source of sale events. Each run of a
/// publisher reads it on a thread of its own (`feeder.rs`).
pub trait EventSource {
    /// How many items the source holds, if it knows (for the progress bar).
    fn len_hint(&self) -> Option<u64>;

    /// The items from index `from` on.
    fn items(&self, from: u64) -> Result<SourceItems<'_>, SourceError>;
}

/// A source as publishers hold it: shared with the feeder thread of each run.
pub type SharedSource = std::sync::Arc<dyn EventSource + Send + Sync>;
