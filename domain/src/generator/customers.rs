//! The generator's customers: a fixed pool per seed, each with a home city,
//! so that the same people come back for several orders.

use crate::enums::Segment;
use crate::sale::{Customer, Location};
use fake::faker::name::en::{FirstName, LastName};
use fake::Fake;
use rand::Rng;

/// How many distinct customers a generator draws from.
pub(crate) const POOL_SIZE: usize = 1_000;

#[derive(Debug, Clone)]
pub(crate) struct RegularCustomer {
    pub customer: Customer,
    pub home: Location,
}

pub(crate) fn customer_pool<R: Rng>(rng: &mut R, cities: &[Location]) -> Vec<RegularCustomer> {
    (0..POOL_SIZE)
        .map(|index| {
            let first: String = FirstName().fake_with_rng(rng);
            let last: String = LastName().fake_with_rng(rng);
            let initials: String =
                [&first, &last].iter().filter_map(|n| n.chars().next()).collect();
            RegularCustomer {
                customer: Customer {
                    customer_id: format!("{}-{:05}", initials.to_uppercase(), 10_000 + index),
                    customer_name: format!("{first} {last}"),
                    segment: pick_segment(rng),
                },
                home: cities[rng.random_range(0..cities.len())].clone(),
            }
        })
        .collect()
}

/// About half consumers, a third corporate, the rest home offices.
fn pick_segment<R: Rng>(rng: &mut R) -> Segment {
    match rng.random_range(0..100) {
        0..52 => Segment::Consumer,
        52..82 => Segment::Corporate,
        _ => Segment::HomeOffice,
    }
}
