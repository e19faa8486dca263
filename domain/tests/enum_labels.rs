//! The warehouse's labels come from one place: the domain's enums. dbt reads
//! them from the seed `dbt/seeds/staging/enum_labels.csv`; this test fails,
//! naming the row, when the seed and the domain disagree, so neither can
//! drift from the other.

use superstore_domain::label_table;

const SEED: &str = include_str!("../../dbt/seeds/staging/enum_labels.csv");

#[test]
fn the_dbt_seed_of_labels_is_exactly_the_domains_label_table() {
    let mut lines = SEED.lines();
    assert_eq!(lines.next(), Some("enum_name,symbol,label"), "the seed's header");
    let seed: Vec<String> = lines.map(str::to_owned).collect();
    let domain: Vec<String> = label_table()
        .into_iter()
        .map(|(name, symbol, label)| {
            assert!(!label.contains([',', '"']), "{label} would need quoting in the seed");
            format!("{name},{symbol},{label}")
        })
        .collect();
    for row in &domain {
        assert!(seed.contains(row), "the seed lacks `{row}`: add it to enum_labels.csv");
    }
    for row in &seed {
        assert!(domain.contains(row), "the seed has `{row}`, which no domain enum has");
    }
    assert_eq!(seed, domain, "same rows, in the domain's order");
}

#[test]
fn labels_are_distinct_within_each_enum() {
    let table = label_table();
    for (name, _, label) in &table {
        let same = table.iter().filter(|(n, _, l)| n == name && l == label).count();
        assert_eq!(same, 1, "{name} has the label {label} twice");
    }
}
