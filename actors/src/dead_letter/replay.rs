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
//! nothing, and publishes as it reads: at most `--max-in-flight-bytes` of
//! dead letters are held at once, whatever the size of the topic. A replay
//! is at-least-once, like the dead-letter topic: replaying twice publishes
//! twice. The pipeline then deduplicates the events it
//! already staged (by `event_id`), and quarantines again, as new dead
//! letters, the records that are still refused.

use super::header;
use crate::flow::envelope::Header;
use crate::kafka::{self, record_headers, KafkaError};
use chrono::{DateTime, Utc};
use futures::future::join_all;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use superstore_kafka_settings::KafkaSettings;

/// What to replay, from where, to where.
#[derive(Debug, Clone)]
pub struct ReplayPlan {
    /// The brokers and the user's client settings, for the reader and the producer.
    pub kafka: KafkaSettings,
    /// The dead-letter topic to read, up to each partition's end when the replay begins.
    pub dlq_topic: String,
    /// The topic the records go back to (the sales topic the pipeline reads).
    pub target_topic: String,
    /// Only dead letters quarantined for this reason code.
    pub reason: Option<String>,
    /// Only dead letters quarantined at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Say what would be replayed; publish nothing.
    pub dry_run: bool,
    /// Bytes of dead letters (keys, values, headers) held at once: they are
    /// published, and acknowledged, in rounds of at most this much (one
    /// record larger than it goes alone).
    pub max_in_flight_bytes: u64,
}

/// The default of [`ReplayPlan::max_in_flight_bytes`]: 16 MiB.
pub const DEFAULT_MAX_IN_FLIGHT_BYTES: u64 = 16 << 20;

/// What a replay did (or would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayReport {
    /// Dead letters read.
    pub read: u64,
    /// Replayed, by reason code.
    pub replayed: BTreeMap<String, u64>,
}

impl ReplayReport {
    /// Dead letters replayed (or, on a dry run, that would be), whatever their reason.
    pub fn replayed_total(&self) -> u64 {
        self.replayed.values().sum()
    }
}

/// Why a replay stopped before the end of the dead-letter topic.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// A client could not be made, or the dead-letter topic described or read.
    #[error(transparent)]
    Kafka(#[from] KafkaError),
    /// The topic's end says records remain, but none came for `seconds`.
    #[error("the dead-letter topic {topic} gave nothing for {seconds} s before its end")]
    Stalled {
        /// The dead-letter topic being read.
        topic: String,
        /// How long the reader waited, in seconds.
        seconds: u64,
    },
    /// Kafka did not acknowledge a replayed record.
    #[error("publishing to {topic} failed after {published} records: {reason}")]
    Publish {
        /// The topic the records were replayed to.
        topic: String,
        /// Records Kafka acknowledged in this replay, the failed round's included.
        published: u64,
        /// Kafka's error.
        reason: String,
    },
}

/// One dead letter to send back.
struct Replayable {
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
    timestamp: Option<i64>,
    headers: Vec<Header>,
}

impl Replayable {
    fn size_bytes(&self) -> u64 {
        let len = |bytes: &Option<Vec<u8>>| bytes.as_ref().map_or(0, Vec::len) as u64;
        let headers: u64 = self.headers.iter().map(|h| h.key.len() as u64 + len(&h.value)).sum();
        len(&self.key) + len(&self.value) + headers
    }
}

/// The text of the dead letter's header `key`, if it has one.
fn header_text(headers: &[Header], key: &str) -> Option<String> {
    headers
        .iter()
        .find(|h| h.key == key.as_bytes())
        .and_then(|h| h.value.as_deref().map(|v| String::from_utf8_lossy(v).into_owned()))
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

/// The record to send back: the dead letter's own headers removed, and
/// `superstore.replay.of` added.
fn replayable(message: &BorrowedMessage<'_>, mut headers: Vec<Header>) -> Replayable {
    headers.retain(|h| !h.key.starts_with(header::PREFIX.as_bytes()));
    let origin = format!("{}/{}/{}", message.topic(), message.partition(), message.offset());
    headers.push(Header { key: header::REPLAY_OF.into(), value: Some(origin.into_bytes()) });
    Replayable {
        key: message.key().map(<[u8]>::to_vec),
        value: message.payload().map(<[u8]>::to_vec),
        timestamp: message.timestamp().to_millis(),
        headers,
    }
}

/// How long the reader waits for a dead letter it knows is there.
const STALL_AFTER: Duration = Duration::from_secs(120);

/// Reads the dead-letter topic up to its end as it was when the replay began.
struct DeadLetterReader {
    consumer: BaseConsumer,
    /// The end of each partition not yet read to it.
    remaining: BTreeMap<i32, i64>,
    topic: String,
}

impl DeadLetterReader {
    fn open(plan: &ReplayPlan) -> Result<Self, ReplayError> {
        let dlq = kafka::describe_topic(&plan.kafka, &plan.dlq_topic, Duration::from_secs(15))?;
        // librdkafka's prefetch counts against memory too: a quarter of the bound.
        let prefetch_kbytes = (plan.max_in_flight_bytes / 4 / 1024).clamp(1024, 65_536);
        let consumer: BaseConsumer = plan
            .kafka
            .client_config(|config| {
                config
                    .set("group.id", format!("superstore-replay-{}", uuid::Uuid::new_v4()))
                    .set("enable.auto.commit", "false")
                    .set("queued.max.messages.kbytes", prefetch_kbytes.to_string())
                    .set("log_level", "3");
            })
            .create()
            .map_err(KafkaError::from)?;
        let mut assignment = TopicPartitionList::new();
        let mut remaining = BTreeMap::new();
        for (&partition, &(low, high)) in dlq.watermarks.iter().filter(|(_, (l, h))| l < h) {
            assignment
                .add_partition_offset(&plan.dlq_topic, partition, Offset::Offset(low))
                .map_err(KafkaError::from)?;
            remaining.insert(partition, high);
        }
        consumer.assign(&assignment).map_err(KafkaError::from)?;
        Ok(DeadLetterReader { consumer, remaining, topic: plan.dlq_topic.clone() })
    }

    /// The next dead letter, taken by `take`; `None` once every partition is read.
    fn next<T>(
        &mut self,
        mut take: impl FnMut(&BorrowedMessage<'_>) -> T,
    ) -> Result<Option<T>, ReplayError> {
        let waiting_since = Instant::now();
        while !self.remaining.is_empty() {
            if waiting_since.elapsed() > STALL_AFTER {
                let (topic, seconds) = (self.topic.clone(), STALL_AFTER.as_secs());
                return Err(ReplayError::Stalled { topic, seconds });
            }
            let Some(polled) = self.consumer.poll(Duration::from_millis(500)) else {
                self.forget_partitions_at_their_end();
                continue;
            };
            let message = polled.map_err(KafkaError::from)?;
            let end = self.remaining.get(&message.partition()).copied();
            if end.is_none_or(|end| message.offset() >= end) {
                continue;
            }
            if end.is_some_and(|end| message.offset() + 1 >= end) {
                self.remaining.remove(&message.partition());
            }
            return Ok(Some(take(&message)));
        }
        Ok(None)
    }

    /// Nothing more came: a partition whose position reached its end is done.
    fn forget_partitions_at_their_end(&mut self) {
        let Ok(positions) = self.consumer.position() else { return };
        for entry in positions.elements() {
            if let Offset::Offset(at) = entry.offset() {
                if self.remaining.get(&entry.partition()).is_some_and(|end| at >= *end) {
                    self.remaining.remove(&entry.partition());
                }
            }
        }
    }
}

/// Replays the dead letters the plan selects; reports what it did. At most
/// `max_in_flight_bytes` of them are held at once.
pub async fn replay(plan: &ReplayPlan) -> Result<ReplayReport, ReplayError> {
    let mut report = ReplayReport::default();
    let mut reader = DeadLetterReader::open(plan)?;
    let producer = if plan.dry_run { None } else { Some(replay_producer(plan)?) };
    let (mut round, mut round_bytes, mut published) = (Vec::new(), 0u64, 0u64);
    while let Some(chosen) = reader.next(|message| choose(plan, message))? {
        report.read += 1;
        let Some((reason, record)) = chosen else { continue };
        *report.replayed.entry(reason).or_default() += 1;
        if producer.is_none() {
            continue;
        }
        round_bytes += record.size_bytes();
        round.push(record);
        if round_bytes >= plan.max_in_flight_bytes {
            published += publish(plan, producer.as_ref(), &mut round, published).await?;
            round_bytes = 0;
        }
    }
    publish(plan, producer.as_ref(), &mut round, published).await?;
    Ok(report)
}

/// The reason and the record to replay, if the plan wants this dead letter.
fn choose(plan: &ReplayPlan, message: &BorrowedMessage<'_>) -> Option<(String, Replayable)> {
    let headers = message.headers().map(record_headers::read).unwrap_or_default();
    let reason = header_text(&headers, header::REASON);
    let rejected_at = header_text(&headers, header::REJECTED_AT);
    if !wanted(plan, reason.as_deref(), rejected_at.as_deref()) {
        return None;
    }
    Some((reason.unwrap_or_else(|| "unknown".into()), replayable(message, headers)))
}

fn replay_producer(plan: &ReplayPlan) -> Result<FutureProducer, ReplayError> {
    Ok(plan
        .kafka
        .client_config(|config| {
            config.set("enable.idempotence", "true").set("acks", "all");
        })
        .create()
        .map_err(KafkaError::from)?)
}

/// Publishes `round` and waits for every acknowledgement; empties it and
/// returns how many were published.
async fn publish(
    plan: &ReplayPlan,
    producer: Option<&FutureProducer>,
    round: &mut Vec<Replayable>,
    published_before: u64,
) -> Result<u64, ReplayError> {
    let Some(producer) = producer else { return Ok(0) };
    let sends = round.iter().map(|record| {
        let mut out = FutureRecord::<[u8], [u8]>::to(&plan.target_topic)
            .headers(record_headers::to_owned_headers(&record.headers));
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
    round.clear();
    let published = outcomes.iter().filter(|o| o.is_ok()).count() as u64;
    if let Some(Err((e, _))) = outcomes.into_iter().find(Result::is_err) {
        let topic = plan.target_topic.clone();
        let published = published_before + published;
        return Err(ReplayError::Publish { topic, published, reason: e.to_string() });
    }
    Ok(published)
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
            max_in_flight_bytes: DEFAULT_MAX_IN_FLIGHT_BYTES,
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
