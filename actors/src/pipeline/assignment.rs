//! Partition assignment that resumes from PostgreSQL. On every assignment
//! the consumer is positioned at the `next_offset` stored in
//! `staging.consumer_offsets` (written in the same transaction as the rows),
//! not at Kafka's committed offsets, which only trail for lag visibility.

use super::ledger::Ledger;
use crate::staging::sql;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaRespErr;
use rdkafka::ClientContext;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use superstore_database::PgPool;

/// The partitions the source holds right now: kept up to date on every
/// rebalance, and read by the lag probe and the readiness check.
pub type AssignedPartitions = Arc<Mutex<BTreeSet<i32>>>;

pub struct ResumeFromStaging {
    pub pool: PgPool,
    pub group_id: String,
    pub topic: String,
    pub ledger: Arc<Ledger>,
    /// The partitions currently assigned to this consumer.
    pub assigned: AssignedPartitions,
}

impl ResumeFromStaging {
    fn stored_offsets(&self) -> Result<HashMap<i32, i64>, String> {
        let mut conn = self.pool.get().map_err(|e| e.to_string())?;
        sql::stored_offsets(&mut conn, &self.group_id, &self.topic).map_err(|e| e.to_string())
    }

    fn assign(&self, consumer: &BaseConsumer<Self>, tpl: &mut TopicPartitionList) {
        let partitions: Vec<(String, i32)> =
            tpl.elements().iter().map(|e| (e.topic().to_owned(), e.partition())).collect();
        match self.stored_offsets() {
            Ok(stored) => {
                for (topic, partition) in &partitions {
                    // No stored offset: nothing of this partition was ever staged.
                    let offset = match stored.get(partition) {
                        Some(next) => {
                            self.ledger.set_committed(*partition, *next);
                            Offset::Offset(*next)
                        }
                        None => Offset::Beginning,
                    };
                    if let Err(e) = tpl.set_partition_offset(topic, *partition, offset) {
                        tracing::error!(partition, error = %e, "cannot set the resume offset");
                    }
                }
            }
            // Still correct, only slower: the writer skips records below the
            // stored offsets, so resuming from Kafka's (older) position re-reads
            // but never re-writes.
            Err(e) => {
                let resume = "cannot read staged offsets; resuming from Kafka's committed offsets";
                tracing::warn!(error = %e, "{resume}")
            }
        }
        if let Err(e) = consumer.assign(tpl) {
            tracing::error!(error = %e, "partition assignment failed");
        }
        let mut assigned = self.assigned.lock().expect("assignment lock");
        assigned.clear();
        assigned.extend(partitions.iter().map(|(_, p)| *p));
        let partitions = &*assigned;
        tracing::info!(?partitions, "partitions assigned; resuming from staged offsets");
    }
}

impl ClientContext for ResumeFromStaging {}

impl ConsumerContext for ResumeFromStaging {
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        tpl: &mut TopicPartitionList,
    ) {
        match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => self.assign(consumer, tpl),
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => {
                tracing::info!("partitions revoked");
                self.assigned.lock().expect("assignment lock").clear();
                if let Err(e) = consumer.unassign() {
                    tracing::error!(error = %e, "unassign failed");
                }
            }
            other => tracing::error!(error = ?other, "rebalance error"),
        }
    }
}
