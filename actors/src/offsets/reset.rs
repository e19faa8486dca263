//! `superstore offsets reset`: an operator moves a group's stored offsets
//! on purpose, after deciding what it should read: `earliest` (the topic
//! from its start: staged events are found again and counted as duplicates,
//! never doubled), `latest` (skip what the topic holds now), or an offset.
//! The offsets get the topic's current Kafka id, which is how a run accepts
//! a recreated topic again, and the rows of partitions the topic no longer
//! has are forgotten.
//!
//! It refuses while the group has members (a running pipeline would carry
//! on from where it is), and it locks the group's offset rows as the
//! writer does, so a batch cannot commit in between.

use crate::kafka::{self, KafkaError, TopicIdentity};
use crate::offsets::resume::read_stored;
use crate::offsets::stored_offsets::{self as sql, StoredPosition};
use diesel::Connection;
use rdkafka::consumer::{BaseConsumer, Consumer};
use std::str::FromStr;
use std::time::Duration;
use superstore_database::PgPool;
use superstore_kafka_settings::KafkaSettings;

/// Where to move the offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetTarget {
    /// Each partition's first offset.
    Earliest,
    /// Each partition's end: only records published from now on are read.
    Latest,
    /// This offset, in every partition named.
    Offset(i64),
}

impl FromStr for ResetTarget {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "earliest" => Ok(ResetTarget::Earliest),
            "latest" => Ok(ResetTarget::Latest),
            n => n.parse::<i64>().ok().filter(|n| *n >= 0).map(ResetTarget::Offset).ok_or_else(
                || format!("{text:?} is not earliest, latest or an offset (a whole number ≥ 0)"),
            ),
        }
    }
}

/// What the reset did (or would do) to one partition's stored offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetChange {
    /// The partition.
    pub partition: i32,
    /// The stored offset before, and the topic id it was stored for.
    pub before: Option<(i64, Option<String>)>,
    /// The offset after; None when the partition is gone and its row forgotten.
    pub after: Option<i64>,
}

/// Why a reset was refused or failed; a refused reset changes nothing.
#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    /// The group's members or the topic could not be read from Kafka.
    #[error(transparent)]
    Kafka(#[from] KafkaError),
    /// PostgreSQL's offsets could not be read or written; the transaction rolled back.
    #[error("cannot read or write the stored offsets in PostgreSQL: {0}")]
    Database(String),
    /// The group has members in Kafka: a pipeline still runs in it.
    #[error(
        "group {group} has {} active member(s) ({}): a running pipeline would carry on from \
         where it is. Fix: stop it (SIGTERM), then reset",
        members.len(), members.join(", ")
    )]
    GroupActive {
        /// The consumer group.
        group: String,
        /// Its members, as `client id@host`.
        members: Vec<String>,
    },
    /// The offset asked for is not in the partition's log.
    #[error(
        "offset {offset} is outside partition {partition}, which holds offsets {start} to {end} \
         (exclusive). Fix: pick an offset in that range, or earliest or latest"
    )]
    OutOfRange {
        /// The partition.
        partition: i32,
        /// The offset asked for.
        offset: i64,
        /// The partition's first offset (its low watermark).
        start: i64,
        /// The offset after its last record (its high watermark).
        end: i64,
    },
    /// A partition named with `--partition` that the topic does not have.
    #[error("topic {topic} has no partition {partition} (it has {partitions})")]
    NoSuchPartition {
        /// The topic.
        topic: String,
        /// The partition asked for.
        partition: i32,
        /// How many partitions the topic has.
        partitions: usize,
    },
}

/// The changes that move `stored` to `target` on the topic as it is now,
/// for `only` these partitions (all if empty). Pure.
pub(crate) fn plan(
    topic: &str,
    stored: &[StoredPosition],
    actual: &TopicIdentity,
    target: ResetTarget,
    only: &[i32],
) -> Result<Vec<OffsetChange>, ResetError> {
    for &partition in only {
        if !actual.watermarks.contains_key(&partition) {
            let partitions = actual.watermarks.len();
            return Err(ResetError::NoSuchPartition { topic: topic.into(), partition, partitions });
        }
    }
    let chosen = |p: &i32| only.is_empty() || only.contains(p);
    let before = |p: i32| {
        stored.iter().find(|s| s.partition == p).map(|s| (s.next_offset, s.topic_id.clone()))
    };
    let mut changes = Vec::new();
    for (&partition, &(start, end)) in actual.watermarks.iter().filter(|(p, _)| chosen(p)) {
        let after = match target {
            ResetTarget::Earliest => start,
            ResetTarget::Latest => end,
            ResetTarget::Offset(offset) if (start..=end).contains(&offset) => offset,
            ResetTarget::Offset(offset) => {
                return Err(ResetError::OutOfRange { partition, offset, start, end })
            }
        };
        changes.push(OffsetChange { partition, before: before(partition), after: Some(after) });
    }
    for gone in stored.iter().filter(|s| !actual.watermarks.contains_key(&s.partition)) {
        if only.is_empty() {
            let partition = gone.partition;
            changes.push(OffsetChange { partition, before: before(partition), after: None });
        }
    }
    Ok(changes)
}

/// The members of `group` in Kafka (client id @ host), if it has any.
fn group_members(settings: &KafkaSettings, group: &str) -> Result<Vec<String>, KafkaError> {
    let consumer: BaseConsumer = settings
        .client_config(|config| {
            config.set("log_level", "3");
        })
        .create()?;
    let list = consumer.fetch_group_list(Some(group), Duration::from_secs(10))?;
    Ok(list
        .groups()
        .iter()
        .filter(|g| g.name() == group)
        .flat_map(|g| g.members().iter().map(|m| format!("{}@{}", m.client_id(), m.client_host())))
        .collect())
}

/// Resets the offsets of `group` on `topic` (or, with `dry_run`, only says
/// how); returns the topic and the changes. Blocking.
pub fn reset(
    pool: &PgPool,
    kafka_settings: &KafkaSettings,
    group: &str,
    topic: &str,
    target: ResetTarget,
    only: &[i32],
    dry_run: bool,
) -> Result<(TopicIdentity, Vec<OffsetChange>), ResetError> {
    let members = group_members(kafka_settings, group)?;
    if !members.is_empty() {
        return Err(ResetError::GroupActive { group: group.into(), members });
    }
    let actual = kafka::describe_topic(kafka_settings, topic, Duration::from_secs(15))?;
    if dry_run {
        let stored = read_stored(pool, group, topic, Duration::from_secs(10))
            .map_err(ResetError::Database)?;
        let changes = plan(topic, &stored, &actual, target, only)?;
        return Ok((actual, changes));
    }
    let mut conn = pool.get().map_err(|e| ResetError::Database(e.to_string()))?;
    let changes = conn.transaction(|conn| {
        let stored = sql::lock_stored_positions(conn, group, topic)?;
        let changes = plan(topic, &stored, &actual, target, only)?;
        for change in &changes {
            match change.after {
                Some(next) => {
                    sql::reset_offset(conn, group, topic, &actual.id, change.partition, next)?
                }
                None => sql::forget_offset(conn, group, topic, change.partition)?,
            }
        }
        Ok::<_, ResetError>(changes)
    })?;
    Ok((actual, changes))
}

impl From<diesel::result::Error> for ResetError {
    fn from(err: diesel::result::Error) -> Self {
        ResetError::Database(err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn topic(ranges: &[(i64, i64)]) -> TopicIdentity {
        let watermarks: BTreeMap<i32, (i64, i64)> =
            ranges.iter().enumerate().map(|(p, r)| (p as i32, *r)).collect();
        TopicIdentity { id: "NEW".into(), watermarks }
    }

    fn stored(partition: i32, next_offset: i64) -> StoredPosition {
        StoredPosition { partition, next_offset, topic_id: Some("OLD".into()) }
    }

    #[test]
    fn earliest_and_latest_follow_each_partition_and_forget_the_gone_ones() {
        let now = topic(&[(0, 167), (10, 20)]);
        let was = [stored(0, 334), stored(2, 9)];
        let earliest = plan("t", &was, &now, ResetTarget::Earliest, &[]).unwrap();
        let old = |n| Some((n, Some("OLD".to_owned())));
        assert_eq!(
            earliest,
            [
                OffsetChange { partition: 0, before: old(334), after: Some(0) },
                OffsetChange { partition: 1, before: None, after: Some(10) },
                OffsetChange { partition: 2, before: old(9), after: None },
            ]
        );
        let latest = plan("t", &was, &now, ResetTarget::Latest, &[1]).unwrap();
        assert_eq!(latest, [OffsetChange { partition: 1, before: None, after: Some(20) }]);
    }

    #[test]
    fn an_offset_outside_the_log_or_an_unknown_partition_is_refused() {
        let now = topic(&[(0, 167)]);
        assert!(matches!(
            plan("t", &[], &now, ResetTarget::Offset(168), &[]),
            Err(ResetError::OutOfRange { partition: 0, offset: 168, start: 0, end: 167 })
        ));
        assert!(matches!(
            plan("t", &[], &now, ResetTarget::Earliest, &[3]),
            Err(ResetError::NoSuchPartition { partition: 3, .. })
        ));
        assert_eq!("42".parse::<ResetTarget>(), Ok(ResetTarget::Offset(42)));
        assert!("-1".parse::<ResetTarget>().is_err() && "first".parse::<ResetTarget>().is_err());
    }
}
