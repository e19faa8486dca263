//! `superstore replay --from-dlq`: re-publishes dead letters to the sales
//! topic, once an operator has fixed what refused them (a constraint
//! relaxed, a schema registered that now accepts them). Each record goes
//! back with its original key, value, headers and timestamp, the dead
//! letter's own headers removed and `superstore.replay.of` added (which
//! dead letter it is). Filters: the reason code, and the time of the
//! quarantine.
//!
//! It reads the dead-letter topic as it is when the command starts (up to
//! each partition's end then), in a consumer of its own that commits
//! nothing. A replay is at-least-once, like the dead-letter topic: replaying
//! twice publishes twice. The pipeline then deduplicates the events it
//! already staged (by `event_id`), and quarantines again, as new dead
//! letters, the records that are still refused.

use super::header;
use crate::kafka::{self, KafkaError};
use chrono::{DateTime, Utc};
use futures::future::join_all;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{BorrowedMessage, Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use superstore_kafka_settings::KafkaSettings;

/// What to replay, from where, to where.
#[derive(Debug, Clone)]
pub struct ReplayPlan {
    pub kafka: KafkaSettings,
    pub dlq_topic: String,
    pub target_topic: String,
    /// Only dead letters quarantined for this reason code.
    pub reason: Option<String>,
    /// Only dead letters quarantined at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Say what would be replayed; publish nothing.
    pub dry_run: bool,
}

/// What a replay did (or would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayReport {
    /// Dead letters read.
    pub read: u64,
    /// Replayed, by reason code.
    pub replayed: BTreeMap<String, u64>,
}

impl ReplayReport {
    pub fn replayed_total(&self) -> u64 {
        self.replayed.values().sum()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(transparent)]
    Kafka(#[from] KafkaError),
    #[error("the dead-letter topic {topic} was not read to its end within {seconds} s")]
    Stalled { topic: String, seconds: u64 },
    #[error("publishing to {topic} failed after {published} of {total} records: {reason}")]
    Publish { topic: String, published: u64, total: u64, reason: String },
}

/// One dead letter to send back.
struct Replayable {
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
    timestamp: Option<i64>,
    headers: Vec<(String, Option<Vec<u8>>)>,
}

fn header_text(message: &BorrowedMessage<'_>, key: &str) -> Option<String> {
    let headers = message.headers()?;
    headers
        .iter()
        .find(|h| h.key == key)
        .and_then(|h| h.value.map(|v| String::from_utf8_lossy(v).into_owned()))
}

/// Whether the plan's filters keep this dead letter.
fn wanted(plan: &ReplayPlan, reason: Option<&str>, rejected_at: Option<&str>) -> bool {
    let reason_ok = plan.reason.as_deref().is_none_or(|want| reason == Some(want));
    let since_ok = plan.since.is_none_or(|since| {
        rejected_at
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .is_some_and(|t| t.with_timezone(&Utc) >= since)
    });
    reason_ok && since_ok
}

fn replayable(message: &BorrowedMessage<'_>) -> Replayable {
    let mut headers: Vec<(String, Option<Vec<u8>>)> = message
        .headers()
        .map(|hs| {
            hs.iter()
                .filter(|h| !h.key.starts_with(header::PREFIX))
                .map(|h| (h.key.to_owned(), h.value.map(<[u8]>::to_vec)))
                .collect()
        })
        .unwrap_or_default();
    let origin = format!("{}/{}/{}", message.topic(), message.partition(), message.offset());
    headers.push((header::REPLAY_OF.to_owned(), Some(origin.into_bytes())));
    Replayable {
        key: message.key().map(<[u8]>::to_vec),
        value: message.payload().map(<[u8]>::to_vec),
        timestamp: message.timestamp().to_millis(),
        headers,
    }
}

/// Reads the dead-letter topic up to its current end; the records to replay.
fn read_dead_letters(
    plan: &ReplayPlan,
    report: &mut ReplayReport,
) -> Result<Vec<Replayable>, ReplayError> {
    let dlq = kafka::describe_topic(&plan.kafka, &plan.dlq_topic, Duration::from_secs(15))?;
    let consumer: BaseConsumer = plan
        .kafka
        .client_config(|config| {
            config
                .set("group.id", format!("superstore-replay-{}", uuid::Uuid::new_v4()))
                .set("enable.auto.commit", "false")
                .set("log_level", "3");
        })
        .create()
        .map_err(KafkaError::from)?;
    let mut assignment = TopicPartitionList::new();
    let mut remaining: BTreeMap<i32, i64> = BTreeMap::new();
    for (&partition, &(low, high)) in dlq.watermarks.iter().filter(|(_, (l, h))| l < h) {
        assignment
            .add_partition_offset(&plan.dlq_topic, partition, Offset::Offset(low))
            .map_err(KafkaError::from)?;
        remaining.insert(partition, high);
    }
    consumer.assign(&assignment).map_err(KafkaError::from)?;
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut chosen = Vec::new();
    while !remaining.is_empty() {
        if Instant::now() > deadline {
            return Err(ReplayError::Stalled { topic: plan.dlq_topic.clone(), seconds: 120 });
        }
        let Some(polled) = consumer.poll(Duration::from_millis(500)) else {
            // Nothing more came: a partition whose position reached its end is done.
            if let Ok(positions) = consumer.position() {
                for entry in positions.elements() {
                    if let Offset::Offset(at) = entry.offset() {
                        if remaining.get(&entry.partition()).is_some_and(|end| at >= *end) {
                            remaining.remove(&entry.partition());
                        }
                    }
                }
            }
            continue;
        };
        let message = polled.map_err(KafkaError::from)?;
        let end = remaining.get(&message.partition()).copied();
        if end.is_none_or(|end| message.offset() >= end) {
            continue;
        }
        report.read += 1;
        let reason = header_text(&message, header::REASON);
        if wanted(plan, reason.as_deref(), header_text(&message, header::REJECTED_AT).as_deref()) {
            *report.replayed.entry(reason.unwrap_or_else(|| "unknown".into())).or_default() += 1;
            chosen.push(replayable(&message));
        }
        if end.is_some_and(|end| message.offset() + 1 >= end) {
            remaining.remove(&message.partition());
        }
    }
    Ok(chosen)
}

/// Replays the dead letters the plan selects; reports what it did.
pub async fn replay(plan: &ReplayPlan) -> Result<ReplayReport, ReplayError> {
    let mut report = ReplayReport::default();
    let chosen = read_dead_letters(plan, &mut report)?;
    if plan.dry_run || chosen.is_empty() {
        return Ok(report);
    }
    let producer: FutureProducer = plan
        .kafka
        .client_config(|config| {
            config.set("enable.idempotence", "true").set("acks", "all");
        })
        .create()
        .map_err(KafkaError::from)?;
    let sends = chosen.iter().map(|record| {
        let mut headers = OwnedHeaders::new_with_capacity(record.headers.len());
        for (key, value) in &record.headers {
            headers = headers.insert(Header { key, value: value.as_deref() });
        }
        let mut out = FutureRecord::<[u8], [u8]>::to(&plan.target_topic).headers(headers);
        if let Some(key) = &record.key {
            out = out.key(key.as_slice());
        }
        if let Some(value) = &record.value {
            out = out.payload(value.as_slice());
        }
        if let Some(timestamp) = record.timestamp {
            out = out.timestamp(timestamp);
        }
        producer.send(out, Duration::from_secs(60))
    });
    let outcomes = join_all(sends).await;
    let total = outcomes.len() as u64;
    let published = outcomes.iter().filter(|o| o.is_ok()).count() as u64;
    if let Some(Err((e, _))) = outcomes.into_iter().find(Result::is_err) {
        let topic = plan.target_topic.clone();
        return Err(ReplayError::Publish { topic, published, total, reason: e.to_string() });
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(reason: Option<&str>, since: Option<&str>) -> ReplayPlan {
        ReplayPlan {
            kafka: KafkaSettings::default(),
            dlq_topic: "t.dlq".into(),
            target_topic: "t".into(),
            reason: reason.map(str::to_owned),
            since: since.map(|s| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)),
            dry_run: true,
        }
    }

    #[test]
    fn filters_keep_the_reason_and_the_time_asked_for() {
        let at = Some("2026-11-29T12:00:00+00:00");
        assert!(wanted(&plan(None, None), None, None));
        assert!(wanted(&plan(Some("refused_by_database"), None), Some("refused_by_database"), at));
        assert!(!wanted(&plan(Some("refused_by_database"), None), Some("missing_value"), at));
        assert!(wanted(&plan(None, Some("2026-11-29T11:00:00Z")), Some("x"), at));
        assert!(!wanted(&plan(None, Some("2026-11-29T13:00:00Z")), Some("x"), at));
        assert!(!wanted(&plan(None, Some("2026-11-29T11:00:00Z")), Some("x"), None));
    }
}
