drop index staging.rejected_events_once_per_group;
-- Under the key without the topic id, a recreated topic's rows may collide: keep the first.
delete from staging.rejected_events as later
using staging.rejected_events as earlier
where later.group_id = earlier.group_id
  and later.topic = earlier.topic
  and later.kafka_partition = earlier.kafka_partition
  and later.kafka_offset = earlier.kafka_offset
  and later.rejected_id > earlier.rejected_id;
alter table staging.rejected_events
    add constraint rejected_events_once_per_group
    unique (group_id, topic, kafka_partition, kafka_offset);
alter table staging.rejected_events drop column topic_id;
alter table staging.consumer_offsets drop column topic_id;
