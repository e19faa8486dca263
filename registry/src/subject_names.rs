//! Which subject a record's schema is registered under, by Confluent's
//! subject-name strategies. One topic carries two record types (the sale and
//! the return), so each type needs a subject of its own:
//!
//! - the sale keeps `TopicNameStrategy`, `<topic>-value`, the subject its
//!   users and their tools already know;
//! - every other record takes `TopicRecordNameStrategy`,
//!   `<topic>-<namespace>.<name>` (`superstore.sales-superstore.sales.ReturnRecorded`),
//!   what confluent-kafka's serializers write with
//!   `subject.name.strategy = topic_record_subject_name_strategy`.

/// The full name of the sale's record, which keeps the topic's value subject.
pub const SALE_RECORD: &str = "superstore.sales.SaleEvent";

/// The full name of the return record (`schemas/return/`).
pub const RETURN_RECORD: &str = "superstore.sales.ReturnRecorded";

/// The subject of the record named `record_fullname` on `topic`.
pub fn subject_for_record(topic: &str, record_fullname: &str) -> String {
    if record_fullname == SALE_RECORD {
        format!("{topic}-value")
    } else {
        format!("{topic}-{record_fullname}")
    }
}

#[cfg(test)]
mod tests {
    use super::subject_for_record;

    #[test]
    fn the_sale_keeps_the_value_subject_and_other_records_get_their_own() {
        assert_eq!(
            subject_for_record("superstore.sales", super::SALE_RECORD),
            "superstore.sales-value"
        );
        assert_eq!(
            subject_for_record("superstore.sales", "superstore.sales.ReturnRecorded"),
            "superstore.sales-superstore.sales.ReturnRecorded"
        );
    }
}
