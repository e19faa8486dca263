//! Our compatibility checker against Apache Avro's own, pair by pair: every
//! reader/writer pair of `compatibility/corpus.json`, in both directions,
//! must get the verdict Avro's Java checker gave it (`avro-verdicts.json`,
//! written by `scripts/avro-verdicts.sh`, which CI re-runs with `--check` so
//! the file cannot go stale). A pair where we differ on purpose says so in
//! the corpus (`we_differ`, with the reason) and is held to our verdict.

use serde_json::Value;
use std::collections::HashMap;
use superstore_registry::compatibility::can_read;

const CORPUS: &str = include_str!("compatibility/corpus.json");
const VERDICTS: &str = include_str!("compatibility/avro-verdicts.json");
const DIRECTIONS: [&str; 2] = ["reader_reads_writer", "writer_reads_reader"];

/// Avro's verdicts by pair name and direction: true when compatible.
fn avro_verdicts() -> HashMap<String, HashMap<&'static str, bool>> {
    let file: Value = serde_json::from_str(VERDICTS).expect("avro-verdicts.json is JSON");
    let mut by_name = HashMap::new();
    for verdict in file["verdicts"].as_array().expect("a verdicts array") {
        let name = verdict["name"].as_str().expect("a name").to_owned();
        let directions = DIRECTIONS
            .iter()
            .map(|d| match verdict[*d].as_str() {
                Some("COMPATIBLE") => (*d, true),
                Some("INCOMPATIBLE") => (*d, false),
                other => panic!("{name}: Avro's verdict {d} is {other:?}"),
            })
            .collect();
        assert!(by_name.insert(name.clone(), directions).is_none(), "{name} twice");
    }
    by_name
}

/// Our verdict on one direction of a pair: `Err` holds our reasons.
fn ours(pair: &Value, direction: &str) -> Result<(), String> {
    let (writer, reader) = (pair["writer"].to_string(), pair["reader"].to_string());
    match direction {
        "reader_reads_writer" => can_read(&writer, &reader),
        _ => can_read(&reader, &writer),
    }
}

#[test]
fn our_checker_gives_apache_avros_verdict_on_every_pair_of_the_corpus() {
    let corpus: Value = serde_json::from_str(CORPUS).expect("corpus.json is JSON");
    let pairs = corpus["pairs"].as_array().expect("a pairs array");
    let avro = avro_verdicts();
    assert_eq!(
        avro.len(),
        pairs.len(),
        "avro-verdicts.json does not cover the corpus: run scripts/avro-verdicts.sh"
    );
    let mut disagreements = Vec::new();
    for pair in pairs {
        let name = pair["name"].as_str().expect("every pair has a name");
        let Some(expected) = avro.get(name) else {
            panic!("no Avro verdict for '{name}': run scripts/avro-verdicts.sh");
        };
        for direction in DIRECTIONS {
            let differ = &pair["we_differ"];
            let wanted = match differ.get(direction).and_then(Value::as_bool) {
                Some(ours_on_purpose) => {
                    assert!(differ["why"].is_string(), "{name}: a difference says why");
                    assert_ne!(ours_on_purpose, expected[direction], "{name}: no difference left");
                    ours_on_purpose
                }
                None => expected[direction],
            };
            let found = ours(pair, direction);
            if found.is_ok() != wanted {
                disagreements.push(format!("{name} ({direction}): wanted {wanted}, got {found:?}"));
            }
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} disagreement(s) with Apache Avro:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
    assert!(pairs.len() >= 150, "the corpus keeps its breadth ({} pairs)", pairs.len());
}

#[test]
fn an_incompatible_pair_is_explained_field_by_field() {
    let corpus: Value = serde_json::from_str(CORPUS).unwrap();
    let pair = corpus["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "record: several fields break at once")
        .expect("the pair is in the corpus");
    let reasons = ours(pair, "reader_reads_writer").unwrap_err();
    for part in [
        "field 'a' changed type from string to int",
        "field 'b' changed type from int to string",
        "field 'c' is missing from the written data and has no default",
    ] {
        assert!(reasons.contains(part), "{part} in {reasons}");
    }
}
