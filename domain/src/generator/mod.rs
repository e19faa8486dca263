//! A seeded generator of realistic Superstore sales.
//!
//! It plays a chain of US shops: a fixed catalogue, forty cities in four
//! regions, a pool of regular customers, orders of one to five lines placed
//! a few minutes apart, ship dates that follow the ship mode, discounts that
//! can turn the profit negative. On request it re-sends earlier events
//! (duplicates) and breaks one domain rule per invalid event.
//!
//! Everything, event ids included, follows from the seed: the same seed and
//! settings give the same events, in the same order, on every machine.

mod catalogue;
mod customers;
mod generated_returns;
mod invalid;
mod places;

pub use generated_returns::{count_returns, LogEvent, LogGenerator, BREAKABLE_RETURN_RULES};
pub use invalid::BREAKABLE_RULES;

use crate::enums::{PaymentMethod, ShipMode};
use crate::money::{Discount, Money, Quantity};
use crate::sale::{Location, SaleEvent};
use crate::validation::RejectReason;
use catalogue::CatalogueItem;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use customers::RegularCustomer;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use std::collections::VecDeque;

/// How many recent fresh events a duplicate may be copied from.
const DUPLICATE_WINDOW: usize = 512;

/// The settings of one run of the generator.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratorConfig {
    /// The seed of every random draw: the same settings give the same events.
    pub seed: u64,
    /// Exactly this many events are produced.
    pub count: u64,
    /// Share of the events that re-send an earlier event: exactly
    /// ⌊count × ratio⌋ of them.
    pub duplicate_ratio: f64,
    /// Share of the events that break a domain rule: exactly ⌊count × ratio⌋.
    /// The same share of returns breaks a return rule (drawn, not exact).
    pub invalid_ratio: f64,
    /// Share of the orders that get a return ([`LogGenerator`]; drawn per
    /// order from the seed). Returns come on top of `count`.
    pub return_ratio: f64,
    /// When the first order is placed.
    pub start: DateTime<Utc>,
    /// The schema version the events are shaped for: from 2 on they carry
    /// a payment method and, for loyalty members, a loyalty id.
    pub schema_version: u32,
}

/// Settings the generator cannot run with.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeneratorConfigError {
    /// A ratio is not in 0..1.
    #[error("{name} must be between 0 and 1, got {value}")]
    RatioOutOfRange {
        /// Which ratio.
        name: &'static str,
        /// Its value.
        value: f64,
    },
    /// The duplicate and invalid ratios leave no room for fresh events;
    /// their sum.
    #[error("duplicate and invalid ratios together must stay below 1, got {0}")]
    RatiosTooLarge(f64),
    /// No released schema has this version.
    #[error(
        "schema version {0} is not released; this build knows 1 to {latest}",
        latest = crate::LATEST_SCHEMA_VERSION
    )]
    UnknownSchemaVersion(u32),
}

impl GeneratorConfig {
    /// `count` valid, distinct events from `seed`, shaped for schema v1,
    /// starting on 2025-01-02 at 08:00 UTC.
    pub fn new(seed: u64, count: u64) -> Self {
        GeneratorConfig {
            seed,
            count,
            duplicate_ratio: 0.0,
            invalid_ratio: 0.0,
            return_ratio: 0.0,
            start: NaiveDate::from_ymd_opt(2025, 1, 2)
                .and_then(|d| d.and_hms_opt(8, 0, 0))
                .expect("valid start")
                .and_utc(),
            schema_version: 1,
        }
    }

    /// Refuses ratios out of range and an unknown schema version.
    pub fn check(&self) -> Result<(), GeneratorConfigError> {
        for (name, value) in
            [("duplicate ratio", self.duplicate_ratio), ("invalid ratio", self.invalid_ratio)]
        {
            if !(0.0..1.0).contains(&value) {
                return Err(GeneratorConfigError::RatioOutOfRange { name, value });
            }
        }
        if !(0.0..=1.0).contains(&self.return_ratio) {
            let value = self.return_ratio;
            return Err(GeneratorConfigError::RatioOutOfRange { name: "return ratio", value });
        }
        if crate::sale_schema(self.schema_version).is_none() {
            return Err(GeneratorConfigError::UnknownSchemaVersion(self.schema_version));
        }
        let total = self.duplicate_ratio + self.invalid_ratio;
        if total >= 1.0 {
            return Err(GeneratorConfigError::RatiosTooLarge(total));
        }
        Ok(())
    }

    /// How many of `count` events are duplicates.
    pub fn duplicate_count(&self) -> u64 {
        (self.count as f64 * self.duplicate_ratio).floor() as u64
    }

    /// How many of `count` events are invalid.
    pub fn invalid_count(&self) -> u64 {
        (self.count as f64 * self.invalid_ratio).floor() as u64
    }

    /// How many distinct valid events the run yields.
    pub fn fresh_count(&self) -> u64 {
        self.count - self.duplicate_count() - self.invalid_count()
    }
}

/// Why an event was produced the way it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provenance {
    /// A new, valid sale.
    Fresh,
    /// An earlier fresh event, sent again unchanged.
    Duplicate,
    /// A sale that breaks this one rule.
    Invalid(RejectReason),
}

/// One event of a run, and why it was made so.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedEvent {
    /// The event.
    pub event: SaleEvent,
    /// Whether it is fresh, a re-sent copy, or breaks a rule.
    pub provenance: Provenance,
}

/// An order being emitted, one line per event.
struct OpenOrder {
    order_id: String,
    placed_at: DateTime<Utc>,
    ship_mode: ShipMode,
    ship_date: NaiveDate,
    customer: usize,
    location: Location,
    lines_left: u32,
    line_number: u32,
}

/// Iterator over the events of one run.
pub struct SaleGenerator {
    config: GeneratorConfig,
    rng: ChaCha8Rng,
    catalogue: Vec<CatalogueItem>,
    cities: Vec<Location>,
    customers: Vec<RegularCustomer>,
    clock: DateTime<Utc>,
    orders_placed: u64,
    order: Option<OpenOrder>,
    recent: VecDeque<SaleEvent>,
    emitted: u64,
    duplicates_left: u64,
    invalid_left: u64,
    invalid_emitted: usize,
    /// Draws for the v2 fields only, so that the same seed gives the same
    /// base events whatever the schema version.
    extras: ChaCha8Rng,
    loyalty_ids: Vec<Option<String>>,
    /// The seed's part of every order id ([`order_tag`]).
    order_tag: String,
}

impl SaleGenerator {
    /// A run with `config`, once [`GeneratorConfig::check`] accepts it.
    pub fn new(config: GeneratorConfig) -> Result<Self, GeneratorConfigError> {
        config.check()?;
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        let cities = places::cities();
        let customers = customers::customer_pool(&mut rng, &cities);
        let mut extras = ChaCha8Rng::seed_from_u64(config.seed ^ 0x5EED_0000_0000_0002);
        let loyalty_ids = (0..customers.len())
            .map(|i| {
                extras
                    .random_bool(0.4)
                    .then(|| format!("LOY-{:08}", 20_000_000 + i * 7 + extras.random_range(0..7)))
            })
            .collect();
        Ok(SaleGenerator {
            order_tag: order_tag(config.seed),
            extras,
            loyalty_ids,
            duplicates_left: config.duplicate_count(),
            invalid_left: config.invalid_count(),
            clock: config.start,
            config,
            rng,
            catalogue: catalogue::catalogue(),
            cities,
            customers,
            orders_placed: 0,
            order: None,
            recent: VecDeque::with_capacity(DUPLICATE_WINDOW),
            emitted: 0,
            invalid_emitted: 0,
        })
    }

    /// Picks what the next slot holds so that the totals come out exact and
    /// the special events fall at random places (selection sampling).
    fn next_provenance(&mut self) -> Provenance {
        let slots_left = self.config.count - self.emitted;
        let duplicate_weight = if self.recent.is_empty() { 0 } else { self.duplicates_left };
        let draw = self.rng.random_range(0..slots_left);
        if draw < duplicate_weight {
            Provenance::Duplicate
        } else if draw < duplicate_weight + self.invalid_left {
            let rule = BREAKABLE_RULES[self.invalid_emitted % BREAKABLE_RULES.len()];
            Provenance::Invalid(rule)
        } else {
            Provenance::Fresh
        }
    }

    fn open_order(&mut self) -> OpenOrder {
        // Orders arrive one to fifteen minutes apart: about 180 a day.
        self.clock += Duration::seconds(self.rng.random_range(60..=900));
        self.orders_placed += 1;
        let customer = self.rng.random_range(0..self.customers.len());
        let location = if self.rng.random_bool(0.85) {
            self.customers[customer].home.clone()
        } else {
            self.cities[self.rng.random_range(0..self.cities.len())].clone()
        };
        let (ship_mode, ship_days) = match self.rng.random_range(0..100) {
            0..60 => (ShipMode::StandardClass, self.rng.random_range(4..=7)),
            60..80 => (ShipMode::SecondClass, self.rng.random_range(2..=5)),
            80..95 => (ShipMode::FirstClass, self.rng.random_range(1..=3)),
            _ => (ShipMode::SameDay, 0),
        };
        let order_date = self.clock.date_naive();
        OpenOrder {
            order_id: format!(
                "US-{}-{}-{:07}",
                year_text(order_date),
                self.order_tag,
                1_000_000 + self.orders_placed
            ),
            placed_at: self.clock,
            ship_mode,
            ship_date: order_date + Duration::days(ship_days),
            customer,
            location,
            lines_left: match self.rng.random_range(0..100) {
                0..40 => 1,
                40..70 => 2,
                70..85 => 3,
                85..95 => 4,
                _ => 5,
            },
            line_number: 0,
        }
    }

    fn fresh_event(&mut self) -> SaleEvent {
        if self.order.as_ref().is_none_or(|o| o.lines_left == 0) {
            self.order = Some(self.open_order());
        }
        let item = self.catalogue[self.rng.random_range(0..self.catalogue.len())].clone();
        let quantity =
            [1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 5, 5, 6, 7, 8, 9, 11, 14][self.rng.random_range(0..18)];
        let discount = self.pick_discount();
        let mut id_bytes = [0u8; 16];
        self.rng.fill_bytes(&mut id_bytes);

        let order = self.order.as_mut().expect("an order is open");
        order.lines_left -= 1;
        order.line_number += 1;
        let units = Decimal::from(quantity);
        let sales = Money::round(item.list_price * units * (Decimal::ONE - discount.fraction()));
        let cost = item.list_price * (Decimal::ONE - item.margin) * units;
        let profit = Money::round(sales.amount() - cost);
        let customer = order.customer;
        // The order's last line takes its id and place; the others copy them.
        let (order_id, location) = if order.lines_left == 0 {
            (std::mem::take(&mut order.order_id), std::mem::take(&mut order.location))
        } else {
            (order.order_id.clone(), order.location.clone())
        };
        let mut event = SaleEvent {
            event_id: uuid::Builder::from_random_bytes(id_bytes).into_uuid(),
            event_time: order.placed_at + Duration::seconds(order.line_number.into()),
            order_id,
            order_date: order.placed_at.date_naive(),
            ship_date: order.ship_date,
            ship_mode: order.ship_mode,
            customer: self.customers[order.customer].customer.clone(),
            location,
            product: item.product,
            sales,
            quantity: Quantity(quantity),
            discount,
            profit,
            // Fields of later schema versions keep their schema defaults
            // unless set below.
            ..SaleEvent::default()
        };
        if self.config.schema_version >= 2 {
            event.payment_method = match self.extras.random_range(0..100) {
                0..55 => PaymentMethod::Card,
                55..75 => PaymentMethod::Cash,
                75..93 => PaymentMethod::MobileWallet,
                _ => PaymentMethod::GiftCard,
            };
            // Members show their card at most checkouts.
            event.loyalty_id =
                self.loyalty_ids[customer].clone().filter(|_| self.extras.random_bool(0.8));
        }
        event
    }

    /// Most lines sell at list price; deep discounts are rare and lose money.
    fn pick_discount(&mut self) -> Discount {
        let cents = match self.rng.random_range(0..100) {
            0..50 => 0,
            50..60 => 10,
            60..68 => 15,
            68..85 => 20,
            85..90 => 30,
            90..94 => 40,
            94..96 => 50,
            96..98 => 60,
            98..99 => 70,
            _ => 80,
        };
        Discount::try_new(Decimal::new(cents, 2)).expect("listed discounts fit decimal(6,4)")
    }

    fn remember(&mut self, event: &SaleEvent) {
        if self.recent.len() == DUPLICATE_WINDOW {
            self.recent.pop_front();
        }
        self.recent.push_back(event.clone());
    }
}

/// Six hex digits that tell the order ids of one seed from another's, so
/// that runs with different seeds never share an order.
fn order_tag(seed: u64) -> String {
    format!("{:06X}", seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40)
}

/// The year as `%Y` writes it (four digits at least), without going
/// through a format string for each order.
fn year_text(date: NaiveDate) -> String {
    match date.year() {
        year @ 0..=9999 => format!("{year:04}"),
        _ => date.format("%Y").to_string(),
    }
}

impl Iterator for SaleGenerator {
    type Item = GeneratedEvent;

    fn next(&mut self) -> Option<GeneratedEvent> {
        if self.emitted == self.config.count {
            return None;
        }
        let provenance = self.next_provenance();
        let event = match provenance {
            Provenance::Duplicate => {
                self.duplicates_left -= 1;
                self.recent[self.rng.random_range(0..self.recent.len())].clone()
            }
            Provenance::Invalid(rule) => {
                self.invalid_left -= 1;
                self.invalid_emitted += 1;
                let valid = self.fresh_event();
                invalid::break_rule(valid, rule)
            }
            Provenance::Fresh => {
                let event = self.fresh_event();
                // Only a duplicate still to come needs the copy.
                if self.duplicates_left > 0 {
                    self.remember(&event);
                }
                event
            }
        };
        self.emitted += 1;
        Some(GeneratedEvent { event, provenance })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = (self.config.count - self.emitted) as usize;
        (left, Some(left))
    }
}
