//! The checker against tables of schema pairs, with Confluent's verdicts per
//! level. Apache Avro's own verdicts on a larger corpus are checked by
//! `registry/tests/avro_corpus.rs`.

use super::*;
use CompatibilityLevel::*;

fn record(fields: &str) -> String {
    format!(r#"{{"type": "record", "name": "R", "fields": [{fields}]}}"#)
}

/// A field `pay` of an enum with these symbols, defaulting to UNKNOWN.
fn pay(symbols: &str) -> String {
    let enum_type = r#"{"type": "enum", "name": "Pay", "symbols": SYMBOLS, "default": "UNKNOWN"}"#;
    format!(r#"{{"name": "pay", "type": {}}}"#, enum_type.replace("SYMBOLS", symbols))
}

fn verdict(level: CompatibilityLevel, old: &str, new: &str) -> bool {
    incompatibilities(level, new, &[Version { number: 1, text: old }]).is_empty()
}

#[test]
fn reasons_name_the_field_and_the_version() {
    let old = record(r#"{"name": "id", "type": "string"}"#);
    let new = record(r#"{"name": "id", "type": "string"}, {"name": "x", "type": "string"}"#);
    let reasons = incompatibilities(Backward, &new, &[Version { number: 3, text: &old }]);
    assert_eq!(reasons.len(), 1);
    assert!(
        reasons[0].contains("field 'x'")
            && reasons[0].contains("version 3")
            && reasons[0].contains("no default"),
        "{}",
        reasons[0]
    );
}

#[test]
fn transitive_levels_check_every_version_and_plain_ones_only_the_latest() {
    // v1 has `x` without default; v2 gives it a default; v3 drops it.
    let v1 = record(r#"{"name": "id", "type": "string"}, {"name": "x", "type": "string"}"#);
    let v2 = record(
        r#"{"name": "id", "type": "string"}, {"name": "x", "type": "string", "default": "?"}"#,
    );
    let v3 = record(r#"{"name": "id", "type": "string"}"#);
    let history = [Version { number: 1, text: &v1 }, Version { number: 2, text: &v2 }];
    assert!(
        incompatibilities(Forward, &v3, &history).is_empty(),
        "v2 reads v3 data with its default"
    );
    let transitive = incompatibilities(ForwardTransitive, &v3, &history);
    assert_eq!(transitive.len(), 1);
    assert!(transitive[0].contains("version 1"), "{}", transitive[0]);
}

#[test]
fn a_reader_enum_with_a_default_accepts_new_symbols() {
    let old = record(&pay(r#"["CASH", "UNKNOWN"]"#));
    let new = record(&pay(r#"["CASH", "CRYPTO", "UNKNOWN"]"#));
    assert!(verdict(Forward, &old, &new), "the old reader maps CRYPTO to its default");
    assert!(verdict(Full, &old, &new));
}

#[test]
fn decimals_and_other_logical_types_resolve_by_their_underlying_type() {
    let money = concat!(
        r#"{"name": "amount", "type": "#,
        r#"{"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2}}"#
    );
    let with_decimal = record(money);
    assert!(
        verdict(FullTransitive, &with_decimal, &with_decimal),
        "a schema is compatible with itself"
    );

    let as_string = record(r#"{"name": "id", "type": "string"}"#);
    let as_uuid = record(r#"{"name": "id", "type": {"type": "string", "logicalType": "uuid"}}"#);
    assert!(verdict(Full, &as_string, &as_uuid), "uuid annotates a string");
    let as_int = record(r#"{"name": "day", "type": "int"}"#);
    let as_date = record(r#"{"name": "day", "type": {"type": "int", "logicalType": "date"}}"#);
    assert!(verdict(Full, &as_int, &as_date), "date annotates an int");
    let as_long = record(r#"{"name": "day", "type": "long"}"#);
    assert!(
        verdict(Backward, &as_date, &as_long) && !verdict(Forward, &as_date, &as_long),
        "int to long still only widens"
    );
}

#[test]
fn the_released_sale_schemas_evolve_compatibly_and_the_example_does_not() {
    let v1 = include_str!("../../../schemas/sale/v1.avsc");
    let v2 = include_str!("../../../schemas/sale/v2.avsc");
    let broken = include_str!("../../../schemas/examples/sale_quantity_as_string.avsc");
    assert!(verdict(FullTransitive, v1, v2), "v2 only adds fields with defaults");
    let reasons = incompatibilities(Backward, broken, &[Version { number: 2, text: v2 }]);
    assert!(reasons.iter().any(|r| r.contains("'quantity'")), "{reasons:?}");
    let reasons = incompatibilities(Forward, broken, &[Version { number: 2, text: v2 }]);
    assert!(reasons.iter().any(|r| r.contains("'quantity'")), "{reasons:?}");
}

#[test]
fn every_offending_field_is_reported_at_once() {
    let old = record(r#"{"name": "a", "type": "string"}, {"name": "b", "type": "int"}"#);
    let new = record(concat!(
        r#"{"name": "a", "type": "int"}, {"name": "b", "type": "string"}, "#,
        r#"{"name": "c", "type": "long"}"#
    ));
    let reasons = incompatibilities(Backward, &new, &[Version { number: 1, text: &old }]);
    assert_eq!(reasons.len(), 1, "one version, one line");
    for field in [
        "'a' changed type from string to int",
        "'b' changed type from int to string",
        "'c' is missing",
    ] {
        assert!(reasons[0].contains(field), "{field} in {}", reasons[0]);
    }
}

#[test]
fn levels_parse_case_insensitively_and_refuse_anything_else() {
    assert_eq!("full_transitive".parse::<CompatibilityLevel>(), Ok(FullTransitive));
    assert!("SIDEWAYS".parse::<CompatibilityLevel>().unwrap_err().contains("BACKWARD_TRANSITIVE"));
}

/// The classic changes of a field, as (change, old, new, BACKWARD verdict,
/// FORWARD verdict), with Confluent's answers.
fn classic_changes() -> Vec<(&'static str, String, String, bool, bool)> {
    let base = r#"{"name": "id", "type": "string"}, {"name": "n", "type": "int"}"#;
    let with = |extra: &str| record(&format!("{base}, {extra}"));
    let x_default = r#"{"name": "x", "type": "string", "default": ""}"#;
    let x_required = r#"{"name": "x", "type": "string"}"#;
    let color = |symbols: &str| {
        let color = r#"{"type": "enum", "name": "Color", "symbols": [SYMBOLS]}"#;
        record(&format!(r#"{{"name": "color", "type": {}}}"#, color.replace("SYMBOLS", symbols)))
    };
    vec![
        ("add field with default", record(base), with(x_default), true, true),
        ("add field without default", record(base), with(x_required), false, true),
        ("remove field with default", with(x_default), record(base), true, true),
        ("remove field without default", with(x_required), record(base), true, false),
        (
            "widen int to long",
            record(base),
            record(r#"{"name": "id", "type": "string"}, {"name": "n", "type": "long"}"#),
            true,
            false,
        ),
        (
            "change string to int",
            record(base),
            record(r#"{"name": "id", "type": "int"}, {"name": "n", "type": "int"}"#),
            false,
            false,
        ),
        (
            "add enum symbol",
            color(r#""RED", "GREEN""#),
            color(r#""RED", "GREEN", "BLUE""#),
            true,
            false,
        ),
    ]
}

#[test]
fn every_level_gives_confluents_verdict_on_every_classic_change() {
    for (change, old, new, backward, forward) in classic_changes() {
        for level in CompatibilityLevel::ALL {
            let expected = match level {
                None => true,
                Backward | BackwardTransitive => backward,
                Forward | ForwardTransitive => forward,
                Full | FullTransitive => backward && forward,
            };
            assert_eq!(verdict(level, &old, &new), expected, "{level} on '{change}'");
        }
    }
}

#[test]
fn a_union_written_is_read_as_the_number_every_branch_promotes_to() {
    let amount = |t: &str| record(&format!(r#"{{"name": "amount", "type": {t}}}"#));
    for (written, read) in [
        (r#"["int", "float"]"#, r#""float""#),
        (r#"["int", "long", "float", "double"]"#, r#""double""#),
        (r#"["int", "long"]"#, r#""float""#),
    ] {
        assert!(verdict(Backward, &amount(written), &amount(read)), "{written} read as {read}");
    }
    let reasons = incompatibilities(
        Backward,
        &amount(r#""int""#),
        &[Version { number: 1, text: &amount(r#"["null", "int"]"#) }],
    );
    assert_eq!(reasons.len(), 1);
    assert!(
        reasons[0].contains(
            "field 'amount' changed type from union [null, int] to int: written null cannot be \
             read as int"
        ),
        "{}",
        reasons[0]
    );
}

#[test]
fn a_named_type_renamed_with_an_alias_reads_data_written_under_the_old_name() {
    let with_type = |t: &str| record(&format!(r#"{{"name": "x", "type": {t}}}"#));
    for (old, new) in [
        (
            r#"{"type": "record", "name": "Customer", "fields": []}"#,
            r#"{"type": "record", "name": "Buyer", "aliases": ["Customer"], "fields": []}"#,
        ),
        (
            r#"{"type": "enum", "name": "Mode", "symbols": ["A"]}"#,
            r#"{"type": "enum", "name": "ShipMode", "aliases": ["Mode"], "symbols": ["A"]}"#,
        ),
        (
            r#"{"type": "fixed", "name": "Md5", "size": 16}"#,
            r#"{"type": "fixed", "name": "Digest", "aliases": ["Md5"], "size": 16}"#,
        ),
    ] {
        assert!(verdict(Backward, &with_type(old), &with_type(new)), "{new}");
        assert!(!verdict(Forward, &with_type(old), &with_type(new)), "the old name has no alias");
        let unaliased = new.replace(r#""aliases": ["#, r#""doc": ["#);
        let reasons = incompatibilities(
            Backward,
            &with_type(&unaliased),
            &[Version { number: 1, text: &with_type(old) }],
        );
        assert!(reasons[0].contains("field 'x': ") && reasons[0].contains("add \"aliases\""));
    }
}
