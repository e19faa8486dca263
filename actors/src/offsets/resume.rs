//! Where a group may resume on a topic: its offsets stored in PostgreSQL,
//! checked against the topic as Kafka knows it now, before a record is read.
//!
//! A stored offset is trusted only if it belongs to this topic (the same
//! Kafka topic id: a topic deleted and created again, or a cluster reset,
//! starts again from offset 0) and lies within the partition's log. Anything
//! else means records would be skipped, or records of another topic read as
//! if they were the old one's, without a word; so `superstore run` refuses
//! to start, naming the topic, the stored and the actual offsets, and the
//! command an operator runs once they have decided: `superstore offsets
//! reset`. Nothing is guessed, and PostgreSQL's offsets are never replaced
//! by Kafka's committed ones: if they cannot be read, the read is retried,
//! then the run stops.

use crate::kafka::{self, KafkaError, KafkaSettings, TopicIdentity};
use crate::offsets::stored_offsets::{self as sql, StoredPosition};
use crate::supervision::restart_backoff;
use std::fmt;
use std::time::{Duration, Instant};
use superstore_database::PgPool;

/// One reason the stored offsets cannot be trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// The offsets were stored for another topic of the same name.
    TopicRecreated {
        /// The Kafka topic id the offsets were stored with.
        stored_id: String,
        /// The topic's id now.
        actual_id: String,
    },
    /// The partition ends before the stored offset.
    BeyondEnd {
        /// The partition.
        partition: i32,
        /// Its stored next offset.
        stored: i64,
        /// Its first offset in Kafka now (the low watermark).
        start: i64,
        /// The offset after its last record (the high watermark).
        end: i64,
    },
    /// The partition starts after the stored offset: records that were never
    /// staged are gone (deleted by retention, or by an operator).
    BeforeStart {
        /// The partition.
        partition: i32,
        /// Its stored next offset.
        stored: i64,
        /// Its first offset in Kafka now (the low watermark).
        start: i64,
        /// The offset after its last record (the high watermark).
        end: i64,
    },
    /// The topic has no such partition any more.
    PartitionGone {
        /// The partition.
        partition: i32,
        /// Its stored next offset.
        stored: i64,
    },
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::TopicRecreated { stored_id, actual_id } => write!(
                f,
                "the topic was deleted and created again: the offsets were stored for topic id \
                 {stored_id}, the topic's id is now {actual_id}"
            ),
            Mismatch::BeyondEnd { partition, stored, start, end } => write!(
                f,
                "partition {partition}: stored next offset {stored}, but the partition holds \
                 offsets {start} to {end} (exclusive)"
            ),
            Mismatch::BeforeStart { partition, stored, start, end } => write!(
                f,
                "partition {partition}: stored next offset {stored}, but the partition now starts \
                 at {start} (ends at {end}): offsets {stored} to {} were never staged",
                start - 1
            ),
            Mismatch::PartitionGone { partition, stored } => write!(
                f,
                "partition {partition}: stored next offset {stored}, but the topic has no \
                 partition {partition} any more"
            ),
        }
    }
}

/// The stored offsets of a group on a topic, and why they cannot be trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ResumeRefused {
    /// The consumer group.
    pub group: String,
    /// The topic, by name.
    pub topic: String,
    /// The group's offsets as PostgreSQL stores them.
    pub stored: Vec<StoredPosition>,
    /// The topic as Kafka knows it now.
    pub actual: TopicIdentity,
    /// Every reason not to trust `stored`, at least one.
    pub mismatches: Vec<Mismatch>,
}

impl fmt::Display for ResumeRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (group, topic) = (&self.group, &self.topic);
        writeln!(
            f,
            "refusing to resume group {group} on topic {topic}: its offsets stored in PostgreSQL \
             do not match the topic in Kafka"
        )?;
        for mismatch in &self.mismatches {
            writeln!(f, "  - {mismatch}")?;
        }
        writeln!(f, "  stored offsets: {}", describe_stored(&self.stored))?;
        writeln!(f, "  the topic now (id {}): {}", self.actual.id, describe_actual(&self.actual))?;
        let group_flag =
            if group == DEFAULT_GROUP { String::new() } else { format!(" --group {group}") };
        write!(
            f,
            "Resuming would skip records, or take another topic's records for the old one's. \
             Fix: decide which records this group should read, then reset its offsets, e.g. \
             `superstore offsets reset --topic {topic}{group_flag} --to earliest` (read the \
             topic from its start; staged events are not doubled) or `--to latest` (skip what is \
             there now); `superstore offsets show --topic {topic}{group_flag}` shows them"
        )
    }
}

/// The consumer group of `superstore run` unless `--group` says otherwise.
pub const DEFAULT_GROUP: &str = "superstore-staging";

fn describe_stored(stored: &[StoredPosition]) -> String {
    if stored.is_empty() {
        return "none".into();
    }
    let id = stored.iter().find_map(|p| p.topic_id.clone()).unwrap_or_else(|| "unknown".into());
    let offsets: Vec<String> =
        stored.iter().map(|p| format!("partition {} at {}", p.partition, p.next_offset)).collect();
    format!("{} (topic id {id})", offsets.join(", "))
}

fn describe_actual(actual: &TopicIdentity) -> String {
    let ranges: Vec<String> = actual
        .watermarks
        .iter()
        .map(|(p, (low, high))| format!("partition {p} holds {low} to {high}"))
        .collect();
    ranges.join(", ")
}

/// Why the stored offsets cannot be trusted, if they cannot. Pure.
pub fn mismatches(stored: &[StoredPosition], actual: &TopicIdentity) -> Vec<Mismatch> {
    let mut found = Vec::new();
    if let Some(stored_id) =
        stored.iter().filter_map(|p| p.topic_id.as_ref()).find(|id| **id != actual.id)
    {
        found.push(Mismatch::TopicRecreated {
            stored_id: stored_id.clone(),
            actual_id: actual.id.clone(),
        });
    }
    for position in stored {
        let (partition, stored) = (position.partition, position.next_offset);
        match actual.watermarks.get(&partition) {
            None => found.push(Mismatch::PartitionGone { partition, stored }),
            Some(&(start, end)) if stored > end => {
                found.push(Mismatch::BeyondEnd { partition, stored, start, end })
            }
            Some(&(start, end)) if stored < start => {
                found.push(Mismatch::BeforeStart { partition, stored, start, end })
            }
            Some(_) => {}
        }
    }
    found
}

/// What can stop a run before it starts.
#[derive(Debug, thiserror::Error)]
pub enum ResumeError {
    /// The topic could not be described.
    #[error(transparent)]
    Kafka(#[from] KafkaError),
    /// The stored offsets could not be read, even after retries.
    #[error("cannot read the stored offsets from PostgreSQL: {0}")]
    Database(String),
    /// The stored offsets do not fit the topic: an operator must decide.
    #[error(transparent)]
    Refused(Box<ResumeRefused>),
}

impl From<ResumeRefused> for ResumeError {
    fn from(refused: ResumeRefused) -> Self {
        ResumeError::Refused(Box::new(refused))
    }
}

/// The stored offsets of `group` on `topic`, read again with backoff for up
/// to `budget` if PostgreSQL does not answer. Blocking.
pub fn read_stored(
    pool: &PgPool,
    group: &str,
    topic: &str,
    budget: Duration,
) -> Result<Vec<StoredPosition>, String> {
    let started = Instant::now();
    let mut failures = 0;
    loop {
        let attempt = pool.get().map_err(|e| e.to_string()).and_then(|mut conn| {
            sql::stored_positions(&mut conn, group, topic).map_err(|e| e.to_string())
        });
        match attempt {
            Ok(stored) => return Ok(stored),
            Err(e) if started.elapsed() >= budget => return Err(e),
            Err(e) => {
                failures += 1;
                tracing::warn!(error = %e, failures, "cannot read the stored offsets; retrying");
                std::thread::sleep(restart_backoff(failures).min(Duration::from_secs(5)));
            }
        }
    }
}

/// Checks, before a run, that `group` may resume on `topic` where its
/// stored offsets say; returns the topic as Kafka knows it. Rows stored
/// before topic ids were kept get this topic's id. Blocking.
pub fn verify(
    pool: &PgPool,
    kafka_settings: &KafkaSettings,
    group: &str,
    topic: &str,
) -> Result<TopicIdentity, ResumeError> {
    let stored =
        read_stored(pool, group, topic, Duration::from_secs(30)).map_err(ResumeError::Database)?;
    let actual = kafka::describe_topic(kafka_settings, topic, Duration::from_secs(15))?;
    let mismatches = mismatches(&stored, &actual);
    if !mismatches.is_empty() {
        let (group, topic) = (group.to_owned(), topic.to_owned());
        return Err(ResumeRefused { group, topic, stored, actual, mismatches }.into());
    }
    if stored.iter().any(|p| p.topic_id.is_none()) {
        let mut conn = pool.get().map_err(|e| ResumeError::Database(e.to_string()))?;
        sql::adopt_topic_id(&mut conn, group, topic, &actual.id)
            .map_err(|e| ResumeError::Database(e.to_string()))?;
        tracing::info!(group, topic, topic_id = %actual.id, "topic id recorded with the offsets");
    }
    Ok(actual)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn stored(partition: i32, next_offset: i64, id: Option<&str>) -> StoredPosition {
        StoredPosition { partition, next_offset, topic_id: id.map(str::to_owned) }
    }

    fn topic(id: &str, ranges: &[(i64, i64)]) -> TopicIdentity {
        let watermarks: BTreeMap<i32, (i64, i64)> =
            ranges.iter().enumerate().map(|(p, r)| (p as i32, *r)).collect();
        TopicIdentity { id: id.into(), watermarks }
    }

    #[test]
    fn offsets_within_the_same_topic_are_trusted() {
        let now = topic("A", &[(0, 10), (5, 20)]);
        assert!(mismatches(&[stored(0, 10, Some("A")), stored(1, 5, Some("A"))], &now).is_empty());
        assert!(mismatches(&[], &now).is_empty(), "a new group starts from the beginning");
        assert!(mismatches(&[stored(0, 3, None)], &now).is_empty(), "rows without an id");
    }

    #[test]
    fn a_recreated_topic_and_offsets_outside_the_log_are_each_named() {
        let now = topic("B", &[(0, 167), (40, 50)]);
        let found = mismatches(
            &[stored(0, 334, Some("A")), stored(1, 12, Some("A")), stored(2, 9, Some("A"))],
            &now,
        );
        assert_eq!(
            found,
            [
                Mismatch::TopicRecreated { stored_id: "A".into(), actual_id: "B".into() },
                Mismatch::BeyondEnd { partition: 0, stored: 334, start: 0, end: 167 },
                Mismatch::BeforeStart { partition: 1, stored: 12, start: 40, end: 50 },
                Mismatch::PartitionGone { partition: 2, stored: 9 },
            ]
        );
    }

    #[test]
    fn the_refusal_names_the_topic_the_offsets_and_the_command() {
        let refusal = ResumeRefused {
            group: "other".into(),
            topic: "sales".into(),
            stored: vec![stored(0, 334, Some("A"))],
            actual: topic("B", &[(0, 167)]),
            mismatches: vec![Mismatch::TopicRecreated {
                stored_id: "A".into(),
                actual_id: "B".into(),
            }],
        };
        let message = refusal.to_string();
        for part in [
            "group other on topic sales",
            "topic id A, the topic's id is now B",
            "partition 0 at 334 (topic id A)",
            "partition 0 holds 0 to 167",
            "superstore offsets reset --topic sales --group other --to earliest",
        ] {
            assert!(message.contains(part), "{part:?} missing from:\n{message}");
        }
    }
}
