//! The generator is reproducible, honours its ratios exactly, and looks like a shop.

use std::collections::{HashMap, HashSet};
use superstore_domain::generator::{GeneratorConfig, Provenance, SaleGenerator, BREAKABLE_RULES};
use superstore_domain::{validate, SaleEvent};

fn config(seed: u64, count: u64, duplicate_ratio: f64, invalid_ratio: f64) -> GeneratorConfig {
    let mut config = GeneratorConfig::new(seed, count);
    config.duplicate_ratio = duplicate_ratio;
    config.invalid_ratio = invalid_ratio;
    config
}

fn events(config: GeneratorConfig) -> Vec<superstore_domain::generator::GeneratedEvent> {
    SaleGenerator::new(config).unwrap().collect()
}

#[test]
fn the_same_seed_gives_the_same_events_ids_included() {
    let first = events(config(42, 3_000, 0.05, 0.02));
    let second = events(config(42, 3_000, 0.05, 0.02));
    assert_eq!(first, second);
    let other_seed = events(config(43, 3_000, 0.05, 0.02));
    assert_ne!(first[0].event.event_id, other_seed[0].event.event_id);
}

#[test]
fn duplicate_and_invalid_ratios_are_honoured_exactly() {
    let generated = events(config(7, 10_000, 0.05, 0.02));
    assert_eq!(generated.len(), 10_000);
    let duplicates = generated.iter().filter(|g| g.provenance == Provenance::Duplicate).count();
    let invalid =
        generated.iter().filter(|g| matches!(g.provenance, Provenance::Invalid(_))).count();
    assert_eq!(duplicates, 500);
    assert_eq!(invalid, 200);

    let fresh_ids: HashSet<_> = generated
        .iter()
        .filter(|g| g.provenance == Provenance::Fresh)
        .map(|g| g.event.event_id)
        .collect();
    assert_eq!(fresh_ids.len(), 10_000 - 500 - 200, "fresh events have distinct ids");
    let all_ids: HashSet<_> = generated.iter().map(|g| g.event.event_id).collect();
    assert_eq!(all_ids.len(), 10_000 - 500, "only duplicates reuse an id");
}

#[test]
fn duplicates_repeat_an_earlier_fresh_event_unchanged() {
    let generated = events(config(9, 2_000, 0.10, 0.0));
    let mut seen: HashMap<uuid::Uuid, &SaleEvent> = HashMap::new();
    for g in &generated {
        match g.provenance {
            Provenance::Duplicate => {
                let original =
                    seen.get(&g.event.event_id).expect("a duplicate follows its original");
                assert_eq!(*original, &g.event);
            }
            _ => {
                seen.insert(g.event.event_id, &g.event);
            }
        }
    }
}

#[test]
fn invalid_events_break_each_rule_in_turn_and_fresh_ones_break_none() {
    let generated = events(config(1, 5_000, 0.0, 0.05));
    let mut broken = Vec::new();
    for g in &generated {
        match (g.provenance, validate(g.event.clone())) {
            (Provenance::Fresh, Ok(_)) => {}
            (Provenance::Invalid(rule), Err(rejection)) => {
                assert_eq!(rejection.reason, rule);
                broken.push(rule);
            }
            (provenance, outcome) => panic!("{provenance:?} gave {outcome:?}"),
        }
    }
    assert_eq!(broken.len(), 250);
    assert_eq!(&broken[..BREAKABLE_RULES.len()], BREAKABLE_RULES, "rules are broken in turn");
}

#[test]
fn sales_look_like_a_shop() {
    let generated: Vec<SaleEvent> =
        events(config(2024, 20_000, 0.0, 0.0)).into_iter().map(|g| g.event).collect();

    let mut orders_per_customer: HashMap<&str, HashSet<&str>> = HashMap::new();
    let mut lines_per_order: HashMap<&str, usize> = HashMap::new();
    for e in &generated {
        orders_per_customer.entry(&e.customer.customer_id).or_default().insert(&e.order_id);
        *lines_per_order.entry(&e.order_id).or_default() += 1;
        assert!(e.ship_date >= e.order_date, "ships after it is ordered");
        assert!(e.order_date <= e.event_time.date_naive());
    }
    let returning = orders_per_customer.values().filter(|orders| orders.len() >= 3).count();
    assert!(returning > 500, "customers come back: {returning} placed three orders or more");
    assert!(lines_per_order.values().any(|&n| n >= 3), "some orders have several lines");
    assert!(lines_per_order.values().any(|&n| n == 1), "some orders have one line");
    assert!(
        generated.iter().any(|e| e.profit.amount().is_sign_negative()),
        "deep discounts lose money"
    );
    assert!(generated.iter().any(|e| !e.discount.fraction().is_zero()));
    let categories: HashSet<_> = generated.iter().map(|e| e.product.category).collect();
    let regions: HashSet<_> = generated.iter().map(|e| e.location.region).collect();
    assert_eq!(categories.len(), 3);
    assert_eq!(regions.len(), 4);
    let same_city: HashSet<_> =
        generated.iter().map(|e| (&e.location.city, &e.location.state)).collect();
    assert!(same_city.len() >= 30);
}

#[test]
fn ratios_that_leave_no_room_for_fresh_events_are_refused() {
    assert!(SaleGenerator::new(config(1, 10, 0.6, 0.5)).is_err());
    assert!(SaleGenerator::new(config(1, 10, 1.0, 0.0)).is_err());
    assert!(SaleGenerator::new(config(1, 10, -0.1, 0.0)).is_err());
}
