//! Two ceilings of `scripts/bench.sh` that only Rust can measure fairly:
//!
//! 1. a bare rdkafka consumer of the topic: partitions assigned directly
//!    (no group join), every record read and its payload kept, nothing
//!    else; its rate is what Kafka and librdkafka give on this machine;
//! 2. the CPU cost of each pipeline stage on the same records, one after
//!    the other on one thread, with the pipeline's own functions: unframe
//!    and decode (`decode_datum_directly`, the pipeline's path for
//!    a datum written with its own schema), validate, dedup (a set of event ids),
//!    and building the COPY rows (`StagedRow` and `copy_binary`).
//!
//! The writer schema is taken to be the latest sale schema, which is what
//! `superstore generate` publishes by default. Prints `key value` lines that
//! `scripts/bench.py` reads.
//!
//! Usage: bench_stages BOOTSTRAP TOPIC COUNT

use chrono::{DateTime, Utc};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use serde_json::Value;
use std::collections::HashSet;
use std::time::{Duration, Instant};
use superstore_actors::flow::envelope::Verdict;
use superstore_actors::kafka::KafkaSettings;
use superstore_actors::stages::decoder::{bound_avro_allocations, decode_datum_directly};
use superstore_actors::staging::rows::{copy_binary, RecordMeta, StagedRow, TransactionMeta};
use superstore_actors::wire;
use superstore_domain::{schema_latest, validate, Sale, SaleEvent};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, bootstrap, topic, count] = args.as_slice() else {
        return Err("usage: bench_stages BOOTSTRAP TOPIC COUNT".into());
    };
    let count: usize = count.parse()?;
    let payloads = consume(bootstrap, topic, count)?;
    stages(&payloads, topic)?;
    Ok(())
}

/// Reads `count` records from the start of every partition of `topic`.
fn consume(
    bootstrap: &str,
    topic: &str,
    count: usize,
) -> Result<Vec<Vec<u8>>, Box<dyn std::error::Error>> {
    // The KAFKA_* variables, as every command reads them.
    let settings = KafkaSettings::load(None, |name| std::env::var(name).ok())?;
    let consumer: BaseConsumer = settings
        .with_bootstrap(bootstrap)
        .client_config(|config| {
            config.set("group.id", "bench-bare-consumer").set("enable.auto.commit", "false");
        })
        .create()?;
    let metadata = consumer.fetch_metadata(Some(topic), Duration::from_secs(10))?;
    let mut assignment = TopicPartitionList::new();
    for partition in metadata.topics()[0].partitions() {
        assignment.add_partition_offset(topic, partition.id(), Offset::Beginning)?;
    }
    consumer.assign(&assignment)?;
    let mut payloads = Vec::with_capacity(count);
    let mut first: Option<Instant> = None;
    let deadline = Instant::now() + Duration::from_secs(300);
    while payloads.len() < count && Instant::now() < deadline {
        let Some(message) = consumer.poll(Duration::from_millis(100)) else { continue };
        let message = message?;
        first.get_or_insert_with(Instant::now);
        payloads.push(message.payload().unwrap_or_default().to_vec());
    }
    let seconds = first.map_or(0.0, |f| f.elapsed().as_secs_f64());
    println!("consumed {}", payloads.len());
    println!("consumer_seconds {seconds:.6}");
    println!("consumed_value_bytes {}", payloads.iter().map(Vec::len).sum::<usize>());
    Ok(payloads)
}

/// Times each stage over all payloads, one stage at a time.
fn stages(payloads: &[Vec<u8>], topic: &str) -> Result<(), Box<dyn std::error::Error>> {
    bound_avro_allocations();
    let reader = schema_latest();
    let started = Instant::now();
    let mut events: Vec<SaleEvent> = Vec::with_capacity(payloads.len());
    for payload in payloads {
        let (schema_id, datum) = wire::unframe(payload)?;
        if let Ok(Verdict::Decoded { event, .. }) = decode_datum_directly(datum, reader, schema_id)
        {
            events.push(*event);
        }
    }
    report("decode", started, events.len());
    let started = Instant::now();
    let sales: Vec<Sale> = events.into_iter().filter_map(|e| validate(e).ok()).collect();
    report("validate", started, sales.len());
    let started = Instant::now();
    let mut seen = HashSet::with_capacity(sales.len());
    let fresh = sales.iter().filter(|s| seen.insert(s.event_id)).count();
    report("dedup", started, fresh);
    let started = Instant::now();
    let ingested_at: DateTime<Utc> = Utc::now();
    let mut rows = Vec::with_capacity(sales.len());
    for (offset, sale) in sales.iter().enumerate() {
        let meta = RecordMeta {
            schema_id: 1,
            kafka_topic: topic,
            kafka_partition: 0,
            kafka_offset: i64::try_from(offset)?,
            kafka_timestamp: Some(ingested_at),
            kafka_headers: Value::Array(Vec::new()),
        };
        rows.push(StagedRow::new(sale, &meta)?);
    }
    let shared = StagedRow::shared(&TransactionMeta { ingested_at })?;
    let copy = copy_binary(rows.iter(), &shared)?;
    report("rows", started, rows.len());
    println!("copy_bytes {}", copy.len());
    Ok(())
}

fn report(stage: &str, started: Instant, n: usize) {
    println!("stage_{stage}_seconds {:.6} {n}", started.elapsed().as_secs_f64());
}
