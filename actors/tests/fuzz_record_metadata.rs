//! Fuzzes what the source does with a record's metadata: random header
//! keys and values (any bytes, NULs included), record keys and timestamps,
//! through librdkafka's header list (the bytes the source reads), staging's
//! JSON of the headers, the timestamp's range check and the COPY line of a
//! staged row. Nothing may panic; the headers come back byte for byte (a key
//! up to its first NUL, as librdkafka hands names back); no JSON holds a NUL
//! that jsonb would refuse; no COPY line holds a raw NUL.
//!
//! `cargo test` runs it for a few seconds; `scripts/fuzz.sh` for longer
//! (`SUPERSTORE_FUZZ_SECONDS`, `SUPERSTORE_FUZZ_SEED` to replay).

use chrono::Datelike;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use std::time::{Duration, Instant};
use superstore_actors::flow::envelope::Header;
use superstore_actors::flow::headers_json::{headers_from_json, headers_to_json};
use superstore_actors::intake::received::representable_timestamp;
use superstore_actors::kafka::record_headers;
use superstore_actors::staging::rows::{copy_binary, RecordMeta, StagedRow, TransactionMeta};
use superstore_domain::generator::{GeneratorConfig, SaleGenerator};

fn header() -> impl Strategy<Value = Header> {
    let key = prop_oneof![vec(any::<u8>(), 0..12), "[a-z.-]{1,12}".prop_map(String::into_bytes)];
    (key, option::of(vec(any::<u8>(), 0..24))).prop_map(|(key, value)| Header { key, value })
}

fn timestamp() -> impl Strategy<Value = i64> {
    let edges = prop_oneof![
        Just(i64::MIN),
        Just(i64::MAX),
        Just(-1),
        Just(-62_135_596_800_001),
        Just(253_402_300_800_000)
    ];
    prop_oneof![any::<i64>(), -70_000_000_000_000i64..260_000_000_000_000, edges]
}

/// What librdkafka gives back of `header`: the key up to its first NUL.
fn as_read(header: &Header) -> Header {
    let end = header.key.iter().position(|&b| b == 0).unwrap_or(header.key.len());
    Header { key: header.key[..end].to_vec(), value: header.value.clone() }
}

fn check(headers: &[Header], millis: i64, sale: &superstore_domain::SaleEvent) {
    let owned = record_headers::to_owned_headers(headers);
    let read = record_headers::read(owned.as_borrowed());
    assert_eq!(read, headers.iter().map(as_read).collect::<Vec<_>>());
    let json = headers_to_json(&read);
    assert!(!json.to_string().contains("\\u0000"), "jsonb refuses a NUL: {json}");
    assert_eq!(headers_from_json(&json).unwrap(), read);
    let timestamp = representable_timestamp(millis);
    if let Some(instant) = timestamp {
        assert_eq!(instant.timestamp_millis(), millis);
        assert!((1..=9999).contains(&instant.year()));
    }
    let meta = RecordMeta {
        schema_id: 1,
        kafka_topic: "fuzz",
        kafka_partition: 0,
        kafka_offset: 0,
        kafka_timestamp: timestamp,
        kafka_headers: json.clone(),
    };
    let row = StagedRow::new(sale, &meta).expect("a row of any metadata");
    let transaction = TransactionMeta { ingested_at: chrono::Utc::now() };
    let shared = StagedRow::shared(&transaction).unwrap();
    let copy = copy_binary([&row], &shared).unwrap();
    // jsonb's binary field: its version byte, then the JSON text as it is.
    let field = [&[1u8][..], json.to_string().as_bytes()].concat();
    let carried = copy.windows(field.len()).any(|window| window == field.as_slice());
    assert!(carried, "the headers' JSON is not in the COPY row: {json}");
}

#[test]
fn no_metadata_panics_the_source_or_reaches_staging_unrepresentable() {
    let seconds = std::env::var("SUPERSTORE_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok());
    let budget = Duration::from_secs(seconds.unwrap_or(3));
    let base_seed: u64 = match std::env::var("SUPERSTORE_FUZZ_SEED") {
        Ok(seed) => seed.parse().expect("SUPERSTORE_FUZZ_SEED is a number"),
        Err(_) => rand::random(),
    };
    let sale = SaleGenerator::new(GeneratorConfig::new(1, 1)).unwrap().next().unwrap().event;
    let strategy = (vec(header(), 0..6), timestamp());
    let (started, mut round, mut inputs) = (Instant::now(), 0u64, 0u64);
    while round == 0 || started.elapsed() < budget {
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&base_seed.to_le_bytes());
        seed[8..16].copy_from_slice(&round.to_le_bytes());
        let config = Config { cases: 1_000, failure_persistence: None, ..Config::default() };
        let mut runner =
            TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
        let outcome = runner.run(&strategy, |(headers, millis)| {
            check(&headers, millis, &sale);
            Ok(())
        });
        if let Err(failure) = outcome {
            let replay = format!("SUPERSTORE_FUZZ_SEED={base_seed}, round {round}");
            panic!("fuzzing found a crash ({replay}): {failure}");
        }
        inputs += 1_000;
        round += 1;
    }
    let minutes = started.elapsed().as_secs_f64() / 60.0;
    println!("fuzz: {inputs} record metadata inputs in {minutes:.1} min, 0 crashes");
    println!("  SUPERSTORE_FUZZ_SEED={base_seed}");
}
