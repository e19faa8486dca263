//! The staging store's offsets against a real PostgreSQL (`DATABASE_URL`,
//! which `scripts/test.sh` sets): they only move forward, and two writers
//! racing on the first batch of a new partition write it once.

use std::sync::mpsc;
use std::time::{Duration, Instant};
use superstore_actors::flow::envelope::{Coordinates, Envelope, Verdict};
use superstore_actors::flow::quarantine::{Quarantine, QuarantineReason};
use superstore_actors::offsets::stored_offsets as sql;
use superstore_actors::staging::batch::PreparedBatch;
use superstore_actors::staging::committed_ids::CommittedIds;
use superstore_actors::staging::{self, Subscription};
use superstore_database::connect;

/// How long a return waits for its sale (these batches hold no return).
const HOLD: Duration = Duration::ZERO;

fn database_url() -> String {
    let url = std::env::var("DATABASE_URL").expect(
        "DATABASE_URL must point at a PostgreSQL server: run the tests through scripts/test.sh",
    );
    superstore_database::migrate(&url).expect("migrations apply");
    url
}

fn unique(name: &str) -> String {
    format!("{name}-{}", uuid::Uuid::new_v4())
}

/// Records of one new partition that the pipeline quarantined (no sale needed).
/// The records as the writer hands them to the store.
fn prepared(subscription: &Subscription, records: &[Envelope]) -> PreparedBatch {
    PreparedBatch::of(&subscription.topic, records.iter().cloned())
}

fn quarantined_records(partition: i32, count: i64) -> Vec<Envelope> {
    (0..count)
        .map(|offset| Envelope {
            coordinates: Coordinates { partition, offset },
            key: None,
            payload: None,
            timestamp: None,
            headers: Vec::new(),
            verdict: Verdict::Rejected(Quarantine::new(
                QuarantineReason::MissingValue,
                "a tombstone",
                None,
            )),
        })
        .collect()
}

#[test]
fn a_stale_writer_cannot_move_an_offset_back() {
    let mut conn = connect(&database_url()).unwrap();
    let (group, topic) = (unique("forward"), unique("topic"));
    sql::store_offset(&mut conn, &group, &topic, "id", 0, 100).unwrap();
    sql::store_offset(&mut conn, &group, &topic, "id", 0, 40).unwrap();
    assert_eq!(sql::stored_offsets(&mut conn, &group, &topic).unwrap()[&0], 100);
    sql::store_offset(&mut conn, &group, &topic, "id", 0, 150).unwrap();
    assert_eq!(sql::stored_offsets(&mut conn, &group, &topic).unwrap()[&0], 150);
}

#[test]
fn two_writers_racing_on_the_first_batch_of_a_new_partition_write_it_once() {
    let url = database_url();
    let (group, topic) = (unique("race"), unique("topic"));
    let subscription =
        Subscription { group_id: group.clone(), topic: topic.clone(), topic_id: "id".into() };
    let batch = quarantined_records(0, 10);
    let (started_tx, started_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let first = {
        let (url, subscription, batch) = (url.clone(), subscription.clone(), batch.clone());
        std::thread::spawn(move || {
            let mut conn = connect(&url).unwrap();
            diesel::Connection::transaction(&mut conn, |conn| {
                let outcome = staging::commit_in_open_transaction(
                    conn,
                    &subscription,
                    &prepared(&subscription, &batch),
                    &CommittedIds::new(0),
                    HOLD,
                )?;
                started_tx.send(()).unwrap();
                go_rx.recv().unwrap();
                Ok::<_, staging::StoreError>(outcome)
            })
        })
    };
    started_rx.recv().unwrap();
    let second = {
        let (url, subscription, batch) = (url.clone(), subscription.clone(), batch.clone());
        std::thread::spawn(move || {
            let batch = prepared(&subscription, &batch);
            let no_cache = CommittedIds::new(0);
            let mut conn = connect(&url).unwrap();
            staging::commit_batch(&mut conn, &subscription, &batch, &no_cache, HOLD)
        })
    };
    // While the first transaction is open, the second writer waits on its row.
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        assert!(!second.is_finished(), "the second writer wrote the batch beside the first");
        std::thread::sleep(Duration::from_millis(50));
    }
    go_tx.send(()).unwrap();
    let first = first.join().unwrap().expect("the first writer commits");
    let second = second.join().unwrap().expect("the second writer commits");
    assert_eq!((first.n_in, first.rejected.iter().map(|(_, n)| n).sum::<u64>()), (10, 10));
    assert_eq!(second.n_in, 0, "the second writer finds every record committed");

    let mut conn = connect(&url).unwrap();
    use diesel::prelude::*;
    use superstore_database::schema::staging::{ingest_batches, rejected_events};
    let audits: i64 = ingest_batches::table
        .filter(ingest_batches::group_id.eq(&group))
        .count()
        .get_result(&mut conn)
        .unwrap();
    let rejected: i64 = rejected_events::table
        .filter(rejected_events::group_id.eq(&group))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!((audits, rejected), (1, 10));
    assert_eq!(sql::stored_offsets(&mut conn, &group, &topic).unwrap()[&0], 10);
}
