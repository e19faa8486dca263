//! The last line of defence at a stage's boundary: work on one record that
//! panics costs that record, not the stage. No input may take an actor
//! down (a dead stage stalls every record behind it), so the stages that
//! run code on untrusted input (the decoder and the validator) run it per
//! record through [`per_record`]: a panic is caught, counted in the
//! [`Ledger`], logged, and the record is quarantined as
//! `panicked_in_stage`, with the stage and the panic's message as detail.
//!
//! This is a guard, not a design: every panic it catches is a bug to fix
//! with checked code (as `order_date_out_of_range` fixed chrono's overflow).

use crate::flow::ledger::Ledger;
use crate::flow::quarantine::{Quarantine, QuarantineReason};
use crate::supervision::panic_message;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `work` for one record of `stage`; a panic becomes a quarantine.
pub(crate) fn per_record<T>(
    stage: &'static str,
    ledger: &Ledger,
    schema_id: Option<i32>,
    work: impl FnOnce() -> T,
) -> Result<T, Quarantine> {
    // AssertUnwindSafe: the closure owns or only reads what it touches; a
    // panic leaves nothing half-updated that the stage reads afterwards.
    catch_unwind(AssertUnwindSafe(work)).map_err(|payload| {
        let message = panic_message(&*payload);
        ledger.caught_panic();
        tracing::error!(stage, panic = %message, "a record panicked the stage; quarantined");
        Quarantine::new(
            QuarantineReason::PanickedInStage,
            format!("the {stage} panicked on this record: {message}"),
            schema_id,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    #[test]
    fn a_panic_is_counted_and_becomes_a_quarantine_naming_the_stage() {
        let ledger = Ledger::default();
        let quiet = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let outcome = per_record("validator", &ledger, Some(3), || -> u8 { panic!("overflowed") });
        std::panic::set_hook(quiet);
        let quarantine = outcome.expect_err("the panic is caught");
        assert_eq!(quarantine.reason.code(), "panicked_in_stage");
        assert_eq!(quarantine.detail, "the validator panicked on this record: overflowed");
        assert_eq!(quarantine.schema_id, Some(3));
        assert_eq!(ledger.panics.load(Ordering::Relaxed), 1);
        assert_eq!(per_record("validator", &ledger, None, || 7), Ok(7));
        assert_eq!(ledger.panics.load(Ordering::Relaxed), 1);
    }
}
