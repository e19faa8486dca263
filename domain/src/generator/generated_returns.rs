//! Returns in the generated log: a seeded share of the orders gets one
//! return, of one of its lines, published a few events after the order's
//! last line, so that a return always follows its sale. The draws for
//! returns come from a generator of their own, so a seed publishes the
//! same sales whatever the return ratio.

use super::{GeneratedEvent, GeneratorConfig, GeneratorConfigError, Provenance, SaleGenerator};
use crate::enums::ReturnReason;
use crate::money::{Money, Quantity};
use crate::return_event::ReturnEvent;
use crate::sale::SaleEvent;
use crate::validation::RejectReason;
use chrono::{Duration, NaiveTime};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use std::collections::VecDeque;

/// The return rules the generator breaks, in turn, when a return is to be
/// invalid. `return_without_sale` is not among them: a return whose sale
/// is missing is held for a while before it is refused, and tests produce
/// it on purpose instead.
pub const BREAKABLE_RETURN_RULES: &[RejectReason] = &[
    RejectReason::MissingRequiredField,
    RejectReason::QuantityOutOfRange,
    RejectReason::NonPositiveRefund,
    RejectReason::ReturnDateAfterEventTime,
    RejectReason::ReturnBeforeOrder,
    RejectReason::ReturnExceedsSold,
    RejectReason::RefundExceedsSales,
];

/// The most sales published between an order's last line and its return.
const RETURN_DELAY_EVENTS: u64 = 20;

/// One event of the generated log: a sale, or a return of an earlier sale.
// Unboxed: almost every event is a sale, and boxing it would cost each one
// an allocation to spare the few returns some bytes.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum LogEvent {
    /// A sale, as [`SaleGenerator`] makes it.
    Sale(GeneratedEvent),
    /// A return of a line of an order already published.
    Return {
        /// The return.
        event: ReturnEvent,
        /// Fresh, or breaking one rule of [`BREAKABLE_RETURN_RULES`].
        provenance: Provenance,
    },
}

/// Iterator over the sales of a run and the returns of a share of its orders.
pub struct LogGenerator {
    sales: SaleGenerator,
    rng: ChaCha8Rng,
    return_ratio: f64,
    invalid_ratio: f64,
    /// The fresh lines of the order being published.
    order_lines: Vec<SaleEvent>,
    /// Returns drawn, each with the number of sales after which it is due.
    due: VecDeque<(u64, LogEvent)>,
    sales_emitted: u64,
    invalid_returns: usize,
}

impl LogGenerator {
    /// A run with `config`, once [`GeneratorConfig::check`] accepts it.
    pub fn new(config: GeneratorConfig) -> Result<Self, GeneratorConfigError> {
        let rng = ChaCha8Rng::seed_from_u64(config.seed ^ 0x5EED_0000_0000_0003);
        let (return_ratio, invalid_ratio) = (config.return_ratio, config.invalid_ratio);
        Ok(LogGenerator {
            sales: SaleGenerator::new(config)?,
            rng,
            return_ratio,
            invalid_ratio,
            order_lines: Vec::new(),
            due: VecDeque::new(),
            sales_emitted: 0,
            invalid_returns: 0,
        })
    }

    /// Folds a published sale into the open order, closing the one before
    /// (and drawing its return) when the order changes.
    fn follow(&mut self, sale: &GeneratedEvent) {
        if sale.provenance != Provenance::Fresh {
            return;
        }
        if self.order_lines.first().is_some_and(|line| line.order_id != sale.event.order_id) {
            self.close_order();
        }
        self.order_lines.push(sale.event.clone());
    }

    /// Draws whether the open order gets a return, and which.
    fn close_order(&mut self) {
        let lines = std::mem::take(&mut self.order_lines);
        if lines.is_empty() || !self.rng.random_bool(self.return_ratio) {
            return;
        }
        let line = &lines[self.rng.random_range(0..lines.len())];
        let mut event = self.return_of(line);
        // What the order sold of the product, over all its lines.
        let same_product = lines.iter().filter(|l| l.product.product_id == line.product.product_id);
        let (sold, sales) = same_product.fold((0, Decimal::ZERO), |(units, sales), l| {
            (units + l.quantity.0, sales + l.sales.amount())
        });
        let mut provenance = Provenance::Fresh;
        if self.rng.random_bool(self.invalid_ratio) {
            let rule = BREAKABLE_RETURN_RULES[self.invalid_returns % BREAKABLE_RETURN_RULES.len()];
            self.invalid_returns += 1;
            event = break_return_rule(event, line.order_date, (sold, sales), rule);
            provenance = Provenance::Invalid(rule);
        }
        let due = self.sales_emitted + self.rng.random_range(0..RETURN_DELAY_EVENTS);
        self.due.push_back((due, LogEvent::Return { event, provenance }));
    }

    /// A valid return of part or all of `line`, a few days after its order.
    fn return_of(&mut self, line: &SaleEvent) -> ReturnEvent {
        let sold = line.quantity.0.max(1);
        let units = self.rng.random_range(1..=sold);
        let share = line.sales.amount() * Decimal::from(units) / Decimal::from(sold);
        let refund = Money::round(share).amount().max(Decimal::new(1, 2)).min(line.sales.amount());
        let return_date = line.order_date + Duration::days(self.rng.random_range(1..=30));
        let at = NaiveTime::from_hms_opt(10, 0, 0).expect("10:00 exists")
            + Duration::seconds(self.rng.random_range(0..8 * 3600));
        let mut id_bytes = [0u8; 16];
        self.rng.fill_bytes(&mut id_bytes);
        let reasons = ReturnReason::ALL;
        ReturnEvent {
            event_id: uuid::Builder::from_random_bytes(id_bytes).into_uuid(),
            event_time: return_date.and_time(at).and_utc(),
            order_id: line.order_id.clone(),
            product_id: line.product.product_id.clone(),
            quantity: Quantity(units),
            refund: Money::try_new(refund).expect("a share of a sale fits"),
            // The last symbol, UNKNOWN, is what an older producer's reason reads as.
            reason: reasons[self.rng.random_range(0..reasons.len() - 1)],
            return_date,
        }
    }

    fn pop_due(&mut self, all_sales_out: bool) -> Option<LogEvent> {
        let ready =
            self.due.front().is_some_and(|(due, _)| all_sales_out || *due <= self.sales_emitted);
        if ready {
            self.due.pop_front().map(|(_, event)| event)
        } else {
            None
        }
    }
}

/// Turns a valid return into one that breaks `rule` only, given its order's
/// date and what the order sold of the product (units, sales).
fn break_return_rule(
    mut event: ReturnEvent,
    order_date: chrono::NaiveDate,
    (sold, sales): (i32, Decimal),
    rule: RejectReason,
) -> ReturnEvent {
    match rule {
        RejectReason::MissingRequiredField => event.product_id.clear(),
        RejectReason::QuantityOutOfRange => event.quantity = Quantity(0),
        RejectReason::NonPositiveRefund => {
            event.refund = Money::try_new(-event.refund.amount()).expect("negated amount fits")
        }
        RejectReason::ReturnDateAfterEventTime => {
            event.return_date = event.event_time.date_naive() + Duration::days(2)
        }
        RejectReason::ReturnBeforeOrder => event.return_date = order_date - Duration::days(1),
        RejectReason::ReturnExceedsSold => event.quantity = Quantity(sold + 1),
        RejectReason::RefundExceedsSales => {
            event.refund = Money::try_new(sales + Decimal::ONE).expect("sales plus a dollar fit")
        }
        other => unreachable!("{other} is not among BREAKABLE_RETURN_RULES"),
    }
    event
}

impl Iterator for LogGenerator {
    type Item = LogEvent;

    fn next(&mut self) -> Option<LogEvent> {
        if let Some(event) = self.pop_due(false) {
            return Some(event);
        }
        match self.sales.next() {
            Some(sale) => {
                self.follow(&sale);
                self.sales_emitted += 1;
                Some(LogEvent::Sale(sale))
            }
            None => {
                self.close_order();
                self.pop_due(true)
            }
        }
    }
}

/// How many returns a run of `config` publishes, and how many of them break a rule.
pub fn count_returns(config: &GeneratorConfig) -> Result<(u64, u64), GeneratorConfigError> {
    if config.return_ratio == 0.0 {
        return Ok((0, 0));
    }
    let mut counts = (0, 0);
    for event in LogGenerator::new(config.clone())? {
        if let LogEvent::Return { provenance, .. } = event {
            counts.0 += 1;
            counts.1 += u64::from(provenance != Provenance::Fresh);
        }
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{first_broken_return_rule, OrderLedger};
    use std::collections::HashMap;

    /// Folds a published sale into its order's ledger, as the pipeline would stage it.
    fn fold_sale(ledgers: &mut HashMap<String, OrderLedger>, line: &SaleEvent) {
        ledgers.entry(line.order_id.clone()).or_default().record_sale(
            &line.product.product_id,
            line.order_date,
            i64::from(line.quantity.0),
            line.sales.amount(),
        );
    }

    fn config(ratio: f64) -> GeneratorConfig {
        GeneratorConfig { return_ratio: ratio, ..GeneratorConfig::new(7, 2_000) }
    }

    #[test]
    fn returns_follow_their_sale_and_keep_the_invariants() {
        let mut ledgers: HashMap<String, OrderLedger> = HashMap::new();
        let (mut sales, mut returns) = (0, 0);
        for event in LogGenerator::new(config(0.1)).unwrap() {
            match event {
                LogEvent::Sale(sale) => {
                    sales += 1;
                    fold_sale(&mut ledgers, &sale.event);
                }
                LogEvent::Return { event, provenance } => {
                    returns += 1;
                    assert_eq!(provenance, Provenance::Fresh);
                    first_broken_return_rule(&event).unwrap();
                    let ledger = ledgers.get(&event.order_id).expect("the sale came first");
                    ledger.check_return(&event).unwrap();
                }
            }
        }
        assert_eq!(sales, 2_000);
        // About a tenth of some 850 orders.
        assert!((40..=130).contains(&returns), "{returns} returns");
    }

    #[test]
    fn the_same_seed_gives_the_same_log_and_the_same_sales_at_any_ratio() {
        let log = |ratio| LogGenerator::new(config(ratio)).unwrap().collect::<Vec<_>>();
        assert_eq!(log(0.1), log(0.1));
        let sales = |events: Vec<LogEvent>| {
            events
                .into_iter()
                .filter_map(|e| match e {
                    LogEvent::Sale(sale) => Some(sale),
                    LogEvent::Return { .. } => None,
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(sales(log(0.0)), sales(log(0.3)));
        assert_eq!(count_returns(&config(0.0)).unwrap(), (0, 0));
    }

    #[test]
    fn invalid_returns_break_each_rule_in_turn_and_only_it() {
        let config = GeneratorConfig { invalid_ratio: 0.0, ..config(0.5) };
        let mut generator = LogGenerator::new(config).unwrap();
        generator.invalid_ratio = 1.0;
        let mut ledgers: HashMap<String, OrderLedger> = HashMap::new();
        let mut broken = Vec::new();
        for event in generator {
            match event {
                LogEvent::Sale(sale) => fold_sale(&mut ledgers, &sale.event),
                LogEvent::Return { event, provenance: Provenance::Invalid(rule) } => {
                    let found = first_broken_return_rule(&event)
                        .and_then(|()| ledgers[&event.order_id].check_return(&event))
                        .unwrap_err();
                    assert_eq!(found.reason, rule, "{event:?}");
                    broken.push(rule);
                }
                LogEvent::Return { .. } => panic!("every return was to break a rule"),
            }
        }
        assert_eq!(&broken[..BREAKABLE_RETURN_RULES.len()], BREAKABLE_RETURN_RULES);
    }
}
