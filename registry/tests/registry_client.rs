//! The client against the real registry: an unknown schema id is asked once
//! per interval, not once per record, and past the cap on such lookups not
//! at all; the compatibility level of a subject with no versions is the
//! global one.

mod common;

use common::*;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use std::time::Duration;
use superstore_registry::{RegistryClient, RegistryClientError};

/// An id far above what the tests register, unique to this run.
fn unused_id() -> i32 {
    let random = uuid::Uuid::new_v4().as_u128() % 100_000_000;
    1_900_000_000 + i32::try_from(random).unwrap()
}

/// Stores a schema under `id` directly, as if registered elsewhere; returns
/// a guard that removes it.
struct StoredSchema(i32);

impl StoredSchema {
    fn insert(id: i32) -> Self {
        let text = record(
            "Late",
            serde_json::json!([{"name": "id", "type": "string",
            "doc": format!("stored as {id}")}]),
        );
        let mut conn = superstore_database::connect(&database_url()).unwrap();
        diesel::sql_query(
            "insert into registry.schemas (id, schema_text, fingerprint) values ($1, $2, md5($2))",
        )
        .bind::<Integer, _>(id)
        .bind::<Text, _>(text)
        .execute(&mut conn)
        .unwrap();
        StoredSchema(id)
    }
}

impl Drop for StoredSchema {
    fn drop(&mut self) {
        let mut conn = superstore_database::connect(&database_url()).unwrap();
        diesel::sql_query("delete from registry.schemas where id = $1")
            .bind::<Integer, _>(self.0)
            .execute(&mut conn)
            .unwrap();
    }
}

fn assert_unknown(outcome: Result<std::sync::Arc<apache_avro::Schema>, RegistryClientError>) {
    match outcome {
        Err(e) => assert_eq!(e.code(), Some(40403), "{e}"),
        Ok(_) => panic!("the schema was found"),
    }
}

#[test]
fn an_unknown_id_is_remembered_as_unknown_for_the_interval_then_asked_again() {
    let id = unused_id();
    let client = RegistryClient::new(registry()).with_unknown_schema_ttl(Duration::from_secs(2));
    actix_web::rt::System::new().block_on(async {
        assert_unknown(client.schema(id).await);
        let _stored = StoredSchema::insert(id);
        for _ in 0..1000 {
            // Within the interval the registry is not asked: the answer stays "unknown".
            assert_unknown(client.schema(id).await);
        }
        actix_web::rt::time::sleep(Duration::from_millis(2100)).await;
        client.schema(id).await.expect("asked again after the interval, the schema is found");
    });
}

#[test]
fn with_no_interval_an_unknown_id_is_asked_every_time() {
    let id = unused_id();
    let client = RegistryClient::new(registry()).with_unknown_schema_ttl(Duration::ZERO);
    actix_web::rt::System::new().block_on(async {
        assert_unknown(client.schema(id).await);
        let _stored = StoredSchema::insert(id);
        client.schema(id).await.expect("asked again at once");
    });
}

#[test]
fn a_subject_without_versions_has_the_global_level() {
    let client = RegistryClient::new(registry());
    actix_web::rt::System::new().block_on(async {
        let global = client.compatibility(None).await.unwrap();
        let new = client.compatibility(Some(&subject("fresh"))).await.unwrap();
        assert_eq!(new, global);
        let refusal = client.check_compatibility(&subject("fresh"), &schema_a()).await.unwrap();
        assert_eq!(refusal, None, "a subject with no versions accepts anything");
    });
}

#[test]
fn past_the_cap_an_unknown_id_is_answered_unknown_without_asking_the_registry() {
    let client = RegistryClient::new(registry()).with_unknown_schema_lookups_per_sec(3);
    actix_web::rt::System::new().block_on(async {
        let mut asked = 0;
        for _ in 0..50 {
            match client.schema(unused_id()).await {
                Err(RegistryClientError::Api { code: 40403, .. }) => asked += 1,
                Err(e @ RegistryClientError::NotAsked { .. }) => {
                    assert_eq!(e.code(), Some(40403), "quarantined like any unknown id");
                    assert!(e.to_string().contains("the registry was not asked"), "{e}");
                }
                other => panic!("not an unknown id: {other:?}"),
            }
        }
        // A burst of one second's worth, and what refilled while the 50 passed.
        assert!((3..=6).contains(&asked), "asked the registry about {asked} of 50 ids");
    });
}
