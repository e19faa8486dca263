//! The source of `superstore generate`: the seeded generator of
//! `superstore-domain`, read again from any index after a restart (the same
//! seed gives the same events), published by [`crate::publish`].

use crate::publish::{EventSource, SourceError, SourceItem, SourceItems};
use superstore_domain::generator::{GeneratorConfig, LogEvent, LogGenerator};

/// Generated events, as a publisher source.
pub struct GeneratedSource {
    config: GeneratorConfig,
    /// How many returns the run publishes besides its `count` sales.
    returns: u64,
}

impl GeneratedSource {
    /// The events `config` describes (seed, count, duplicate, invalid and
    /// return ratios), with the number of returns among them.
    pub fn new(config: GeneratorConfig, returns: u64) -> Self {
        GeneratedSource { config, returns }
    }
}

impl EventSource for GeneratedSource {
    fn len_hint(&self) -> Option<u64> {
        Some(self.config.count + self.returns)
    }

    fn items(&self, from: u64) -> Result<SourceItems<'_>, SourceError> {
        let generator = LogGenerator::new(self.config.clone())
            .map_err(|e| SourceError(format!("the generator cannot start: {e}")))?;
        let skip = usize::try_from(from).unwrap_or(usize::MAX);
        Ok(Box::new(generator.skip(skip).map(|event| {
            Ok(match event {
                LogEvent::Sale(sale) => SourceItem::Event(Box::new(sale.event)),
                LogEvent::Return { event, .. } => SourceItem::Return(Box::new(event)),
            })
        })))
    }
}
