//! What the client remembers about schema ids. A schema fetched by id is
//! kept for good: an id never changes its schema, so a warm pipeline keeps
//! decoding through a registry outage (and only ids the registry has get
//! here, so this stays as small as the registry). An id the registry does
//! not have is remembered for a short while ([`UnknownIds`], bounded in
//! time and count): a topic full of records framed with an unknown id then
//! costs one request per interval, not one per record, and each record is
//! still quarantined.

use super::unknown_ids::UnknownIds;
use apache_avro::Schema;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// How long an unknown id is believed unknown, unless configured.
pub const DEFAULT_UNKNOWN_SCHEMA_TTL: Duration = Duration::from_secs(10);

pub(super) struct SchemaCache {
    known: RwLock<HashMap<i32, Arc<Schema>>>,
    unknown: Mutex<UnknownIds>,
}

impl SchemaCache {
    pub fn new(unknown_ttl: Duration, unknown_capacity: usize) -> Self {
        SchemaCache {
            known: RwLock::default(),
            unknown: Mutex::new(UnknownIds::new(unknown_ttl, unknown_capacity)),
        }
    }

    pub fn known(&self, id: i32) -> Option<Arc<Schema>> {
        self.known.read().expect("schema cache lock").get(&id).cloned()
    }

    pub fn remember(&self, id: i32, schema: Arc<Schema>) {
        self.known.write().expect("schema cache lock").insert(id, schema);
    }

    /// How long ago the registry said it has no schema `id`, if that answer
    /// still holds at `now`.
    pub fn unknown_since(&self, id: i32, now: Instant) -> Option<Duration> {
        self.unknown.lock().expect("schema cache lock").answered(id, now)
    }

    pub fn remember_unknown(&self, id: i32, now: Instant) {
        self.unknown.lock().expect("schema cache lock").remember(id, now);
    }

    pub fn unknown_ttl(&self) -> Duration {
        self.unknown.lock().expect("schema cache lock").ttl()
    }
}
