//! Copies of one event id against a real PostgreSQL (`DATABASE_URL`, which
//! `scripts/test.sh` sets): a copy is dropped as a duplicate only if its id
//! is committed in staging, by an earlier transaction or an earlier copy of
//! the same batch. A first copy that PostgreSQL refuses leaves its id free:
//! the next copy, in the same batch or a later one, is staged.

use std::time::Duration;
use superstore_actors::flow::envelope::{Coordinates, Envelope, Verdict};
use superstore_actors::flow::outcomes::BatchOutcome;
use superstore_actors::staging::batch::PreparedBatch;
use superstore_actors::staging::committed_ids::CommittedIds;
use superstore_actors::staging::{self, Subscription};
use superstore_database::connect;
use superstore_domain::generator::{GeneratorConfig, SaleGenerator};
use superstore_domain::{validate, SaleEvent};

fn database_url() -> String {
    let url = std::env::var("DATABASE_URL").expect(
        "DATABASE_URL must point at a PostgreSQL server: run the tests through scripts/test.sh",
    );
    superstore_database::migrate(&url).expect("migrations apply");
    url
}

fn subscription() -> Subscription {
    let unique = uuid::Uuid::new_v4();
    Subscription {
        group_id: format!("copies-{unique}"),
        topic: format!("copies-{unique}"),
        topic_id: "id".into(),
    }
}

/// A valid event with a fresh id.
fn event() -> SaleEvent {
    let config = GeneratorConfig::new(rand_seed(), 1);
    let mut event = SaleGenerator::new(config).unwrap().next().unwrap().event;
    event.event_id = uuid::Uuid::new_v4();
    event
}

fn rand_seed() -> u64 {
    uuid::Uuid::new_v4().as_u64_pair().0
}

/// The same event with a NUL in a name: it passes the domain's rules, and
/// PostgreSQL refuses it (text cannot hold NUL).
fn refused_by_postgres(event: &SaleEvent) -> SaleEvent {
    let mut copy = event.clone();
    copy.customer.customer_name.push('\0');
    copy
}

fn envelopes(first_offset: i64, events: &[SaleEvent]) -> Vec<Envelope> {
    (first_offset..)
        .zip(events)
        .map(|(offset, event)| Envelope {
            coordinates: Coordinates { partition: 0, offset },
            key: None,
            payload: None,
            timestamp: None,
            headers: Vec::new(),
            verdict: Verdict::Valid {
                sale: Box::new(validate(event.clone()).unwrap()),
                schema_id: 1,
            },
        })
        .collect()
}

fn commit(
    subscription: &Subscription,
    committed: &CommittedIds,
    first_offset: i64,
    events: &[SaleEvent],
) -> BatchOutcome {
    let mut conn = connect(&database_url()).unwrap();
    let batch = PreparedBatch::of(&subscription.topic, envelopes(first_offset, events));
    staging::commit_batch(&mut conn, subscription, &batch, committed, Duration::ZERO).unwrap()
}

fn rejected(outcome: &BatchOutcome) -> u64 {
    outcome.rejected.iter().map(|(_, n)| n).sum()
}

fn staged_names(subscription: &Subscription) -> Vec<String> {
    use diesel::prelude::*;
    use superstore_database::schema::staging::sales_events::dsl::*;
    let mut conn = connect(&database_url()).unwrap();
    sales_events
        .filter(kafka_topic.eq(&subscription.topic))
        .select(customer_name)
        .load(&mut conn)
        .unwrap()
}

#[test]
fn a_refused_first_copy_leaves_its_id_to_the_next_copy_of_the_same_batch() {
    let (subscription, committed) = (subscription(), CommittedIds::new(100));
    let good = event();
    let copies = [refused_by_postgres(&good), good.clone(), good.clone()];
    let outcome = commit(&subscription, &committed, 0, &copies);
    assert_eq!((outcome.n_in, outcome.inserted, rejected(&outcome)), (3, 1, 1));
    assert_eq!(outcome.duplicates, 1, "the third copy follows a staged one");
    assert_eq!(staged_names(&subscription), vec![good.customer.customer_name.clone()]);
    assert!(committed.contains(&good.event_id), "a committed id joins the cache");

    let again = commit(&subscription, &committed, 3, std::slice::from_ref(&good));
    assert_eq!((again.inserted, again.duplicates), (0, 1));
}

#[test]
fn a_refused_id_is_not_taken_for_committed_by_a_later_batch() {
    let (subscription, committed) = (subscription(), CommittedIds::new(100));
    let good = event();
    let first = commit(&subscription, &committed, 0, &[refused_by_postgres(&good)]);
    assert_eq!((first.inserted, rejected(&first), first.duplicates), (0, 1, 0));
    assert!(!committed.contains(&good.event_id), "a refused id stays free");

    let replayed = commit(&subscription, &committed, 1, std::slice::from_ref(&good));
    assert_eq!((replayed.inserted, replayed.duplicates), (1, 0));
    assert_eq!(staged_names(&subscription), vec![good.customer.customer_name.clone()]);
}
