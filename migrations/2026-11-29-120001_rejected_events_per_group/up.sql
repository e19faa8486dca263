-- A record is quarantined once per consumer group, not once per topic: a
-- second group (or a replay) that reads the same records quarantines them
-- under its own name. The old key (topic, kafka_partition, kafka_offset)
-- made the second group's batch fail for ever.
alter table staging.rejected_events add column group_id text;

-- Rows written before this migration: the group of the batch that committed
-- them (written in the same transaction, so at the same instant).
update staging.rejected_events as r
set group_id = b.group_id
from staging.ingest_batches as b
where b.topic = r.topic
  and b.committed_at = r.rejected_at;

-- Any left over can only come from the one group the pipeline used until now.
update staging.rejected_events set group_id = 'superstore-staging' where group_id is null;

alter table staging.rejected_events alter column group_id set not null;
alter table staging.rejected_events
    drop constraint rejected_events_topic_kafka_partition_kafka_offset_key;
alter table staging.rejected_events
    add constraint rejected_events_once_per_group
    unique (group_id, topic, kafka_partition, kafka_offset);
