//! The source of `superstore generate`: the seeded generator of
//! `superstore-domain`, read again from any index after a restart (the same
//! seed gives the same events), published by [`crate::publish`].

use crate::publish::{EventSource, SourceError, SourceItem, SourceItems};
use superstore_domain::generator::{GeneratorConfig, SaleGenerator};

/// Generated events, as a publisher source.
pub struct GeneratedSource {
    config: GeneratorConfig,
}

impl GeneratedSource {
    /// The events `config` describes (seed, count, duplicate and invalid ratios).
    pub fn new(config: GeneratorConfig) -> Self {
        GeneratedSource { config }
    }
}

impl EventSource for GeneratedSource {
    fn len_hint(&self) -> Option<u64> {
        Some(self.config.count)
    }

    fn items(&self, from: u64) -> Result<SourceItems<'_>, SourceError> {
        let generator = SaleGenerator::new(self.config.clone())
            .map_err(|e| SourceError(format!("the generator cannot start: {e}")))?;
        let skip = usize::try_from(from).unwrap_or(usize::MAX);
        Ok(Box::new(
            generator.skip(skip).map(|generated| Ok(SourceItem::Event(Box::new(generated.event)))),
        ))
    }
}
