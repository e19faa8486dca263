//! What the client remembers about schema ids. A schema fetched by id is
//! kept for good: an id never changes its schema, so a warm pipeline keeps
//! decoding through a registry outage. An id the registry does not have is
//! remembered for a short while (the negative answer): a topic full of
//! records framed with an unknown id then costs one request per interval,
//! not one per record, and each record is still quarantined.

use apache_avro::Schema;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// How long an unknown id is believed unknown, unless configured.
pub const DEFAULT_UNKNOWN_SCHEMA_TTL: Duration = Duration::from_secs(10);

pub(super) struct SchemaCache {
    known: RwLock<HashMap<i32, Arc<Schema>>>,
    unknown: Mutex<HashMap<i32, Instant>>,
    pub(super) unknown_ttl: Duration,
}

impl SchemaCache {
    pub fn new(unknown_ttl: Duration) -> Self {
        SchemaCache { known: RwLock::default(), unknown: Mutex::default(), unknown_ttl }
    }

    pub fn known(&self, id: i32) -> Option<Arc<Schema>> {
        self.known.read().expect("schema cache lock").get(&id).cloned()
    }

    pub fn remember(&self, id: i32, schema: Arc<Schema>) {
        self.known.write().expect("schema cache lock").insert(id, schema);
    }

    /// How long ago the registry said it has no schema `id`, if that answer
    /// still holds.
    pub fn unknown_since(&self, id: i32) -> Option<Duration> {
        let mut unknown = self.unknown.lock().expect("schema cache lock");
        let elapsed = unknown.get(&id)?.elapsed();
        if elapsed < self.unknown_ttl {
            return Some(elapsed);
        }
        unknown.remove(&id);
        None
    }

    pub fn remember_unknown(&self, id: i32) {
        if !self.unknown_ttl.is_zero() {
            self.unknown.lock().expect("schema cache lock").insert(id, Instant::now());
        }
    }
}
