//! What a topic is, beyond its name: Kafka's topic id, which a topic keeps
//! until it is deleted (a topic deleted and created again, or a cluster
//! reset, gets a new one), its partitions, and where each partition's log
//! starts and ends. The pipeline stores the id with its offsets, so that it
//! can tell the topic it read from one that merely has the same name.
//!
//! rdkafka does not wrap librdkafka's DescribeTopics (Kafka 3.1+), the one
//! call that returns the id; it is called here through `rdkafka::bindings`,
//! on an admin client of its own and a queue of its own.

use super::KafkaError;
use rdkafka::admin::AdminClient;
use rdkafka::bindings as rd;
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use std::collections::BTreeMap;
use std::ffi::{CStr, CString};
use std::os::raw::c_char;
use std::time::Duration;
use superstore_kafka_settings::KafkaSettings;

/// A topic as Kafka knows it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicIdentity {
    /// Kafka's topic id (base64, as Kafka's tools print it).
    pub id: String,
    /// Where each partition's log starts and ends: (low, high) watermarks.
    pub watermarks: BTreeMap<i32, (i64, i64)>,
}

/// Describes `topic`: its id, its partitions and their watermarks. Blocking.
pub fn describe_topic(
    settings: &KafkaSettings,
    topic: &str,
    timeout: Duration,
) -> Result<TopicIdentity, KafkaError> {
    let (id, partitions) = topic_id_and_partitions(settings, topic, timeout)?;
    let consumer: BaseConsumer = settings.client_config(quiet).create()?;
    let mut watermarks = BTreeMap::new();
    for partition in partitions {
        watermarks.insert(partition, consumer.fetch_watermarks(topic, partition, timeout)?);
    }
    Ok(TopicIdentity { id, watermarks })
}

/// Frees what librdkafka allocated for one DescribeTopics call.
struct Call {
    collection: *mut rd::rd_kafka_TopicCollection_t,
    options: *mut rd::rd_kafka_AdminOptions_t,
    queue: *mut rd::rd_kafka_queue_t,
    event: *mut rd::rd_kafka_event_t,
}

impl Drop for Call {
    fn drop(&mut self) {
        // SAFETY: each pointer was returned by its librdkafka constructor (or
        // is null), and is destroyed once, here.
        unsafe {
            if !self.event.is_null() {
                rd::rd_kafka_event_destroy(self.event);
            }
            if !self.queue.is_null() {
                rd::rd_kafka_queue_destroy(self.queue);
            }
            if !self.options.is_null() {
                rd::rd_kafka_AdminOptions_destroy(self.options);
            }
            if !self.collection.is_null() {
                rd::rd_kafka_TopicCollection_destroy(self.collection);
            }
        }
    }
}

fn text(ptr: *const c_char) -> String {
    if ptr.is_null() {
        return String::new();
    }
    // SAFETY: librdkafka returns NUL-terminated strings that live as long as
    // the event they belong to, which outlives this copy.
    unsafe { CStr::from_ptr(ptr) }.to_string_lossy().into_owned()
}

/// Kafka's id of `topic` and its partition numbers, by DescribeTopics.
/// Errors only in librdkafka's log: the caller reports what failed.
fn quiet(config: &mut rdkafka::config::ClientConfig) {
    config.set("log_level", "3");
}

fn topic_id_and_partitions(
    settings: &KafkaSettings,
    topic: &str,
    timeout: Duration,
) -> Result<(String, Vec<i32>), KafkaError> {
    let failed = |reason: String| KafkaError::DescribeTopic { topic: topic.to_owned(), reason };
    let admin: AdminClient<DefaultClientContext> = settings.client_config(quiet).create()?;
    let rk = admin.inner().native_ptr();
    let name = CString::new(topic).map_err(|_| failed("the name holds a NUL".into()))?;
    let millis = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
    let mut names = [name.as_ptr()];
    // SAFETY: `rk` is the live handle of `admin`, which outlives the call;
    // `names` and `name` outlive the collection that copies them; every
    // object made here is freed by `Call`'s drop; results are read before the
    // event that owns them is destroyed.
    unsafe {
        let mut call = Call {
            collection: rd::rd_kafka_TopicCollection_of_topic_names(names.as_mut_ptr(), 1),
            options: rd::rd_kafka_AdminOptions_new(
                rk,
                rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBETOPICS,
            ),
            queue: rd::rd_kafka_queue_new(rk),
            event: std::ptr::null_mut(),
        };
        let mut errstr = [0 as c_char; 256];
        rd::rd_kafka_AdminOptions_set_request_timeout(
            call.options,
            millis,
            errstr.as_mut_ptr(),
            errstr.len(),
        );
        rd::rd_kafka_DescribeTopics(rk, call.collection, call.options, call.queue);
        call.event = rd::rd_kafka_queue_poll(call.queue, millis.saturating_add(1000));
        if call.event.is_null() {
            return Err(failed(format!("no answer within {} ms", millis)));
        }
        if rd::rd_kafka_event_error(call.event)
            != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR
        {
            return Err(failed(text(rd::rd_kafka_event_error_string(call.event))));
        }
        let result = rd::rd_kafka_event_DescribeTopics_result(call.event);
        let mut count = 0usize;
        let topics = rd::rd_kafka_DescribeTopics_result_topics(result, &mut count);
        if topics.is_null() || count != 1 {
            return Err(failed(format!("{count} topics described, expected 1")));
        }
        let description = *topics;
        let error = rd::rd_kafka_TopicDescription_error(description);
        if !error.is_null()
            && rd::rd_kafka_error_code(error) != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR
        {
            return Err(failed(text(rd::rd_kafka_error_string(error))));
        }
        let id =
            text(rd::rd_kafka_Uuid_base64str(rd::rd_kafka_TopicDescription_topic_id(description)));
        let mut n = 0usize;
        let infos = rd::rd_kafka_TopicDescription_partitions(description, &mut n);
        let partitions = (0..n)
            .map(|i| rd::rd_kafka_TopicPartitionInfo_partition(*infos.add(i)))
            .collect::<Vec<i32>>();
        if id.is_empty() {
            return Err(failed("the broker sent no topic id (Kafka before 2.8?)".into()));
        }
        Ok((id, partitions))
    }
}
