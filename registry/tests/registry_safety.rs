//! The registry's safety guarantees, over real HTTP against a real
//! PostgreSQL: a version number or an id always names one schema, even after
//! permanent deletes, and deletes racing registrations never lose a
//! registered version.

mod common;

use common::*;
use serde_json::{json, Value};
use std::sync::{Arc, Barrier};

fn schema_numbered(n: usize) -> String {
    record(
        "Numbered",
        json!([{"name": "id", "type": "string"}, {"name": format!("f{n}"),
        "type": "int", "default": 0}]),
    )
}

fn id_of(answer: &Answer) -> i64 {
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    answer.body["id"].as_i64().expect("an id")
}

#[test]
fn version_numbers_and_ids_are_never_reused_after_permanent_deletes() {
    let s = subject("reuse");
    let first = id_of(&register(&s, &schema_a()));
    let second = id_of(&register(&s, &schema_b()));
    assert_eq!(delete(&format!("/subjects/{s}/versions/2")).status, 200);
    assert_eq!(delete(&format!("/subjects/{s}/versions/2?permanent=true")).status, 200);
    let unique = record(
        "Unique",
        json!([{"name": "u", "type": "string",
        "default": uuid::Uuid::new_v4().to_string()}]),
    );
    put(&format!("/config/{s}"), json!({"compatibility": "NONE"}));
    let third = id_of(&register(&s, &unique));
    assert_eq!(get(&format!("/subjects/{s}/versions")).body, json!([1, 3]), "2 is not reused");

    assert_eq!(delete(&format!("/subjects/{s}")).status, 200);
    assert_eq!(delete(&format!("/subjects/{s}?permanent=true")).body, json!([1, 3]));
    let again = id_of(&register(&s, &schema_b()));
    assert_eq!(
        get(&format!("/subjects/{s}/versions")).body,
        json!([4]),
        "a subject deleted permanently and registered again continues its numbering"
    );
    assert_eq!(again, second, "an id names one schema: the same schema keeps its id");
    assert!(![first, second].contains(&third), "a new schema gets a new id");
    let by_id = get(&format!("/schemas/ids/{first}"));
    assert_eq!(by_id.status, 200, "ids of deleted versions stay readable");
    let schema: Value = serde_json::from_str(by_id.body["schema"].as_str().unwrap()).unwrap();
    assert_eq!(schema, serde_json::from_str::<Value>(&schema_a()).unwrap());
}

/// One round: a subject whose versions are all soft-deleted, then a
/// registration and a permanent delete of the subject at the same instant.
/// Whichever runs first, the registered version must be live at the end
/// (either the delete ran first, or it saw the live version and refused).
fn race_round(round: usize) -> Result<(), String> {
    let s = subject(&format!("race{round}"));
    put(&format!("/config/{s}"), json!({"compatibility": "NONE"}));
    register(&s, &schema_a());
    assert_eq!(delete(&format!("/subjects/{s}")).status, 200);
    let start = Arc::new(Barrier::new(2));
    let registering = {
        let (s, start) = (s.clone(), start.clone());
        std::thread::spawn(move || {
            start.wait();
            register(&s, &schema_numbered(round))
        })
    };
    let deleting = {
        let (s, start) = (s.clone(), start.clone());
        std::thread::spawn(move || {
            start.wait();
            delete(&format!("/subjects/{s}?permanent=true"))
        })
    };
    let registered = registering.join().unwrap();
    let deleted = deleting.join().unwrap();
    id_of(&registered);
    let refused = deleted.status == 404 && deleted.body["error_code"] == json!(40405);
    if deleted.status != 200 && !refused {
        return Err(format!("the delete answered {} {:?}", deleted.status, deleted.body));
    }
    let live = get(&format!("/subjects/{s}/versions"));
    if live.status != 200 || live.body.as_array().is_none_or(|v| v.len() != 1) {
        return Err(format!(
            "round {round}: the version registered during a permanent delete is gone \
             (delete answered {}: {:?}; versions now {} {:?})",
            deleted.status, deleted.body, live.status, live.body
        ));
    }
    Ok(())
}

#[test]
fn deletes_racing_registrations_never_lose_a_registered_version() {
    let failures: Vec<String> = (0..60).filter_map(|round| race_round(round).err()).collect();
    assert!(
        failures.is_empty(),
        "{} of 60 rounds lost a version:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
