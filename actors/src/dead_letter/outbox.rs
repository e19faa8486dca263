//! The dead-letter publisher, an actor beside the pipeline: it reads the
//! quarantine rows of its group and topic that are not yet on the
//! dead-letter topic (the outbox), publishes each record, and marks the
//! rows Kafka acknowledged. It drains every second while the pipeline runs,
//! and once more when it stops ([`Drain`]).
//!
//! A dead-letter topic that cannot be written (unreachable, refusing the
//! record) is reported and tried again later, with backoff; the rows wait
//! in staging, where they are safe. The pipeline never waits for it.
//!
//! A round reads at most 500 rows and at most a quarter of the run's
//! `--max-in-flight-bytes` of their keys and values, so a backlog of large
//! records is published a slice at a time, in bounded memory.

use crate::dead_letter::header;
use crate::dead_letter::outbox_rows::{self as sql, PendingDeadLetter};
use crate::flow::envelope::Header;
use crate::flow::headers_json::headers_from_json;
use crate::flow::outcomes::DrainReport;
use crate::kafka::record_headers;
use crate::supervision::restart_backoff;
use actix::prelude::*;
use futures::future::join_all;
use rdkafka::message::OwnedHeaders;
use rdkafka::producer::{FutureProducer, FutureRecord};
use std::sync::Arc;
use std::time::{Duration, Instant};
use superstore_database::PgPool;
use superstore_kafka_settings::KafkaSettings;

/// Rows read from the outbox at a time, at most (see the bytes bound too).
const ROWS_PER_ROUND: i64 = 500;
const DRAIN_EVERY: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub(crate) struct DeadLetterSettings {
    pub(crate) kafka: KafkaSettings,
    pub(crate) pool: PgPool,
    pub(crate) group_id: String,
    pub(crate) topic: String,
    pub(crate) dlq_topic: String,
    /// Bytes of quarantined keys and values one round reads and publishes
    /// at most (one larger record goes alone).
    pub(crate) max_round_bytes: u64,
}

/// Publish everything pending now; answers with what it did.
#[derive(Message)]
#[rtype(result = "DrainReport")]
pub(crate) struct Drain;

pub(crate) struct DeadLetters {
    settings: Arc<DeadLetterSettings>,
    producer: FutureProducer,
    /// Held by the drain under way: the final [`Drain`] waits for a
    /// periodic one to finish instead of reading the same unmarked rows
    /// and publishing them a second time.
    draining: Arc<tokio::sync::Mutex<()>>,
    busy: bool,
    failures: u32,
    next_try: Instant,
    /// Dead letters published since the actor started.
    published: u64,
}

impl DeadLetters {
    pub(crate) fn new(settings: DeadLetterSettings) -> Result<Self, rdkafka::error::KafkaError> {
        let producer = settings
            .kafka
            .client_config(|config| {
                config
                    .set("enable.idempotence", "true")
                    .set("acks", "all")
                    .set("linger.ms", "5")
                    // A dead letter that cannot be written within 30 s waits for the next round.
                    .set("message.timeout.ms", "30000");
            })
            .create()?;
        let settings = Arc::new(settings);
        let next_try = Instant::now();
        let draining = Arc::default();
        Ok(DeadLetters {
            settings,
            producer,
            draining,
            busy: false,
            failures: 0,
            next_try,
            published: 0,
        })
    }

    fn settle(&mut self, report: &DrainReport) {
        self.busy = false;
        self.published += report.published;
        match &report.error {
            None => self.failures = 0,
            Some(error) => {
                self.failures += 1;
                let wait = restart_backoff(self.failures).max(Duration::from_secs(1)) * 3;
                self.next_try = Instant::now() + wait.min(Duration::from_secs(30));
                let (topic, pending) = (&self.settings.dlq_topic, report.pending);
                tracing::warn!(
                    %error, dlq = %topic, pending,
                    "cannot publish to the dead-letter topic; the quarantined records wait in \
                     staging and are sent again"
                );
            }
        }
    }
}

impl Actor for DeadLetters {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.run_interval(DRAIN_EVERY, |act, ctx| {
            if act.busy || Instant::now() < act.next_try {
                return;
            }
            act.busy = true;
            let drained = drain(act.settings.clone(), act.producer.clone(), act.draining.clone());
            ctx.spawn(drained.into_actor(act).map(|report, act, _| act.settle(&report)));
        });
    }
}

impl Handler<Drain> for DeadLetters {
    type Result = ResponseActFuture<Self, DrainReport>;

    fn handle(&mut self, _: Drain, _: &mut Context<Self>) -> Self::Result {
        self.busy = true;
        let drained = drain(self.settings.clone(), self.producer.clone(), self.draining.clone());
        Box::pin(drained.into_actor(self).map(|report, act, _| {
            act.settle(&report);
            DrainReport { published: act.published, ..report }
        }))
    }
}

/// Runs a blocking database call off the actor's thread.
async fn blocking<T: Send + 'static>(
    pool: &PgPool,
    work: impl FnOnce(&mut diesel::PgConnection) -> diesel::QueryResult<T> + Send + 'static,
) -> Result<T, String> {
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        work(&mut conn).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())?
}

/// Publishes pending rows until none is left or one fails, once the drain
/// before it (if any) has finished.
async fn drain(
    settings: Arc<DeadLetterSettings>,
    producer: FutureProducer,
    draining: Arc<tokio::sync::Mutex<()>>,
) -> DrainReport {
    let _alone = draining.lock().await;
    let mut report = DrainReport::default();
    let (group, topic) = (settings.group_id.clone(), settings.topic.clone());
    loop {
        let (g, t, bytes) = (group.clone(), topic.clone(), settings.max_round_bytes);
        let rows = match blocking(&settings.pool, move |c| {
            sql::pending_dead_letters(c, &g, &t, ROWS_PER_ROUND, bytes)
        })
        .await
        {
            Ok(rows) => rows,
            Err(e) => {
                report.error = Some(format!("cannot read the quarantine: {e}"));
                break;
            }
        };
        if rows.is_empty() {
            break;
        }
        let sends = rows.iter().map(|row| publish(&producer, &settings, row));
        let outcomes = join_all(sends).await;
        let mut delivered = Vec::new();
        for (row, outcome) in rows.iter().zip(outcomes) {
            match outcome {
                Ok(()) => delivered.push(row.rejected_id),
                Err(e) => report.error = Some(e),
            }
        }
        let marked = delivered.len() as u64;
        if let Err(e) =
            blocking(&settings.pool, move |c| sql::mark_dead_letters_published(c, &delivered)).await
        {
            report.error = Some(format!("published, but cannot mark the quarantine: {e}"));
            break;
        }
        report.published += marked;
        if report.error.is_some() {
            break;
        }
    }
    let (g, t) = (group, topic);
    report.pending = blocking(&settings.pool, move |c| sql::count_pending_dead_letters(c, &g, &t))
        .await
        .map_or(0, |n| n.max(0) as u64);
    report
}

/// The dead letter's headers: the record's own, then ours.
fn dead_letter_headers(settings: &DeadLetterSettings, row: &PendingDeadLetter) -> OwnedHeaders {
    let mut headers = headers_from_json(&row.kafka_headers).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "a quarantined record's headers cannot be read back");
        Vec::new()
    });
    let ours = [
        (header::REASON, row.reason.clone()),
        (header::DETAIL, row.detail.clone()),
        (header::TOPIC, settings.topic.clone()),
        (header::TOPIC_ID, row.topic_id.clone().unwrap_or_default()),
        (header::PARTITION, row.kafka_partition.to_string()),
        (header::OFFSET, row.kafka_offset.to_string()),
        (header::GROUP, settings.group_id.clone()),
        (header::REJECTED_AT, row.rejected_at.to_rfc3339()),
    ];
    let schema_id = row.schema_id.map(|id| (header::SCHEMA_ID, id.to_string()));
    for (key, value) in ours.into_iter().chain(schema_id) {
        headers.push(Header { key: key.into(), value: Some(value.into_bytes()) });
    }
    record_headers::to_owned_headers(&headers)
}

/// Publishes one dead letter and waits for Kafka's acknowledgement.
async fn publish(
    producer: &FutureProducer,
    settings: &DeadLetterSettings,
    row: &PendingDeadLetter,
) -> Result<(), String> {
    let mut record = FutureRecord::<[u8], [u8]>::to(&settings.dlq_topic)
        .headers(dead_letter_headers(settings, row));
    if let Some(key) = &row.message_key {
        record = record.key(key.as_slice());
    }
    if let Some(value) = &row.raw_value {
        record = record.payload(value.as_slice());
    }
    if let Some(timestamp) = row.kafka_timestamp {
        record = record.timestamp(timestamp.timestamp_millis());
    }
    producer.send(record, Duration::from_secs(30)).await.map(|_| ()).map_err(|(e, _)| e.to_string())
}
