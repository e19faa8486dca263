//! Partition assignment that resumes from PostgreSQL. On every assignment
//! the consumer is positioned at the `next_offset` stored in
//! `staging.consumer_offsets` (written in the same transaction as the rows),
//! not at Kafka's committed offsets, which only trail for lag visibility and
//! are never read back.
//!
//! If PostgreSQL cannot be read, the read is retried with backoff; if it
//! still cannot, the run halts (nothing is guessed). If the stored offsets
//! belong to another topic of the same name (deleted and created again
//! while the pipeline ran), the run halts too, naming the fix (see
//! [`crate::offsets::resume`]).

use crate::flow::ledger::Ledger;
use crate::flow::outcomes::SourceHalt;
use crate::kafka::outage_log::{librdkafka_log, BrokerOutages};
use crate::offsets::resume::read_stored;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaRespErr;
use rdkafka::ClientContext;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use superstore_database::PgPool;

/// The partitions the source holds right now: kept up to date on every
/// rebalance, and read by the lag probe and the readiness check.
pub(crate) type AssignedPartitions = Arc<Mutex<BTreeSet<i32>>>;

/// How long an assignment waits for PostgreSQL before the run halts.
const READ_BUDGET: Duration = Duration::from_secs(30);

pub(crate) struct ResumeFromStaging {
    pub(crate) pool: PgPool,
    pub(crate) group_id: String,
    pub(crate) topic: String,
    /// Kafka's id of the topic the run checked before it started.
    pub(crate) topic_id: String,
    pub(crate) ledger: Arc<Ledger>,
    /// The partitions currently assigned to this consumer.
    pub(crate) assigned: AssignedPartitions,
    /// Set when the run must stop; the source checks it.
    pub(crate) halt: Arc<Mutex<Option<SourceHalt>>>,
    /// The brokers this consumer cannot reach, for the outage log.
    pub(crate) outages: BrokerOutages,
}

impl ResumeFromStaging {
    fn halt(&self, halt: SourceHalt) {
        tracing::error!(reason = %halt, "halting the pipeline");
        self.halt.lock().expect("halt lock").get_or_insert(halt);
    }

    /// The stored next offset of each partition, if they belong to this topic.
    fn stored_offsets(&self) -> Result<HashMap<i32, i64>, SourceHalt> {
        let stored = read_stored(&self.pool, &self.group_id, &self.topic, READ_BUDGET)
            .map_err(SourceHalt::OffsetsUnreadable)?;
        if let Some(other) =
            stored.iter().filter_map(|p| p.topic_id.as_deref()).find(|id| *id != self.topic_id)
        {
            return Err(SourceHalt::OffsetsInvalid(format!(
                "topic {} changed identity while the pipeline ran (offsets stored for topic id \
                 {other}, the topic is now {})",
                self.topic, self.topic_id
            )));
        }
        Ok(stored.into_iter().map(|p| (p.partition, p.next_offset)).collect())
    }

    fn assign(&self, consumer: &BaseConsumer<Self>, tpl: &mut TopicPartitionList) {
        let partitions: Vec<(String, i32)> =
            tpl.elements().iter().map(|e| (e.topic().to_owned(), e.partition())).collect();
        let stored = match self.stored_offsets() {
            Ok(stored) => stored,
            // Nothing is assigned: no record is read from a guessed position.
            Err(halt) => return self.halt(halt),
        };
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

impl ClientContext for ResumeFromStaging {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        librdkafka_log(level, facility, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.outages.error(&error, reason);
    }

    fn stats_raw(&self, statistics: &[u8]) {
        self.outages.statistics(statistics);
    }
}

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
