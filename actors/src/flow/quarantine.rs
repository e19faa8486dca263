//! Why the pipeline refuses a record: one typed family of reasons, each with
//! the stable code stored in `staging.rejected_events.reason` (and counted
//! in the run's summary). The domain's rules ([`RejectReason`]) are part of
//! the family; the stages add the reasons only they can see. A code is never
//! renamed once released.

use superstore_domain::{RejectReason, Rejection};

/// Every reason a record can be quarantined for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuarantineReason {
    /// The record has no value (a tombstone?).
    MissingValue,
    /// The value does not start with the Confluent header.
    NotConfluentFramed,
    /// The registry has no schema with the framed id.
    UnknownSchemaId,
    /// The registry's schema for the id does not parse.
    UnreadableWriterSchema,
    /// The datum does not decode with its writer schema.
    UndecodableAvro,
    /// The writer schema cannot be resolved into the reader schema.
    UnresolvableSchema,
    /// The record is of another type than the pipeline reads (its writer
    /// schema names another record: a return, for a pipeline of sales).
    UnknownRecordType,
    /// PostgreSQL refused the row (a NUL in a text, a number too wide).
    RefusedByDatabase,
    /// The record reached the writer without a verdict (a pipeline bug).
    Unprocessed,
    /// A stage panicked while handling the record (a bug, caught at the
    /// stage's boundary so that it costs this record only).
    PanickedInStage,
    /// The record's metadata (its Kafka timestamp) cannot be stored as it is.
    UnrepresentableMetadata,
    /// A domain rule of `superstore-domain`.
    Rule(RejectReason),
}

impl QuarantineReason {
    /// The reasons the stages add to the domain's.
    pub(crate) const PIPELINE: [QuarantineReason; 11] = [
        QuarantineReason::MissingValue,
        QuarantineReason::NotConfluentFramed,
        QuarantineReason::UnknownSchemaId,
        QuarantineReason::UnreadableWriterSchema,
        QuarantineReason::UndecodableAvro,
        QuarantineReason::UnresolvableSchema,
        QuarantineReason::UnknownRecordType,
        QuarantineReason::RefusedByDatabase,
        QuarantineReason::Unprocessed,
        QuarantineReason::PanickedInStage,
        QuarantineReason::UnrepresentableMetadata,
    ];

    /// Every reason: the stages' and the domain's.
    pub(crate) fn all() -> impl Iterator<Item = QuarantineReason> {
        let rules = RejectReason::ALL.iter().map(|rule| QuarantineReason::Rule(*rule));
        QuarantineReason::PIPELINE.into_iter().chain(rules)
    }

    /// The stable code stored in staging.
    pub fn code(self) -> &'static str {
        match self {
            QuarantineReason::MissingValue => "missing_value",
            QuarantineReason::NotConfluentFramed => "not_confluent_framed",
            QuarantineReason::UnknownSchemaId => "unknown_schema_id",
            QuarantineReason::UnreadableWriterSchema => "unreadable_writer_schema",
            QuarantineReason::UndecodableAvro => "undecodable_avro",
            QuarantineReason::UnresolvableSchema => "unresolvable_schema",
            QuarantineReason::UnknownRecordType => "unknown_record_type",
            QuarantineReason::RefusedByDatabase => "refused_by_database",
            QuarantineReason::Unprocessed => "unprocessed",
            QuarantineReason::PanickedInStage => "panicked_in_stage",
            QuarantineReason::UnrepresentableMetadata => "unrepresentable_metadata",
            QuarantineReason::Rule(rule) => rule.code(),
        }
    }
}

impl From<RejectReason> for QuarantineReason {
    fn from(rule: RejectReason) -> Self {
        QuarantineReason::Rule(rule)
    }
}

/// Why the pipeline refused a record, in staging's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarantine {
    /// The reason, whose code `staging.rejected_events.reason` stores.
    pub reason: QuarantineReason,
    /// What exactly was wrong, for the operator who reads the row.
    pub(crate) detail: String,
    /// The writer schema id of the record's framing, once it was read.
    pub(crate) schema_id: Option<i32>,
}

impl Quarantine {
    /// A refusal for `reason`, with its detail and the writer schema id if known.
    pub fn new(
        reason: QuarantineReason,
        detail: impl Into<String>,
        schema_id: Option<i32>,
    ) -> Self {
        Quarantine { reason, detail: detail.into(), schema_id }
    }
}

impl From<Rejection> for Quarantine {
    fn from(rejection: Rejection) -> Self {
        Quarantine::new(rejection.reason.into(), rejection.detail, None)
    }
}

#[cfg(test)]
mod tests {
    use crate::flow::quarantine::QuarantineReason;
    use superstore_domain::RejectReason;

    #[test]
    fn codes_are_stable_and_the_domain_rules_keep_theirs() {
        let codes: Vec<&str> = QuarantineReason::PIPELINE.iter().map(|r| r.code()).collect();
        assert_eq!(
            codes,
            [
                "missing_value",
                "not_confluent_framed",
                "unknown_schema_id",
                "unreadable_writer_schema",
                "undecodable_avro",
                "unresolvable_schema",
                "unknown_record_type",
                "refused_by_database",
                "unprocessed",
                "panicked_in_stage",
                "unrepresentable_metadata",
            ]
        );
        for rule in RejectReason::ALL {
            assert_eq!(QuarantineReason::from(*rule).code(), rule.code());
        }
    }
}
