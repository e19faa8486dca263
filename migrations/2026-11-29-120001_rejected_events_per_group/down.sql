alter table staging.rejected_events drop constraint rejected_events_once_per_group;
-- Only one row per coordinates can stay under the old key: the first group's.
delete from staging.rejected_events as later
using staging.rejected_events as earlier
where later.topic = earlier.topic
  and later.kafka_partition = earlier.kafka_partition
  and later.kafka_offset = earlier.kafka_offset
  and later.rejected_id > earlier.rejected_id;
alter table staging.rejected_events
    add constraint rejected_events_topic_kafka_partition_kafka_offset_key
    unique (topic, kafka_partition, kafka_offset);
alter table staging.rejected_events drop column group_id;
