-- A topic's name is not its identity: a topic deleted and created again (or
-- a cluster reset) starts its offsets again from 0, and offsets stored for
-- the old topic would skip the new one's records without a word. Kafka's
-- topic id (base64, as Kafka's tools print it) is kept with the offsets;
-- `superstore run` refuses to resume on a different id, or on an offset
-- beyond a partition's end, and `superstore offsets reset` is the
-- operator's way out. Rows stored before this migration have no id: the
-- next batch records it.
alter table staging.consumer_offsets add column topic_id text;

-- The same coordinates in a recreated topic are a different record: the
-- quarantine key carries the topic id too.
alter table staging.rejected_events add column topic_id text;
alter table staging.rejected_events drop constraint rejected_events_once_per_group;
create unique index rejected_events_once_per_group
    on staging.rejected_events (group_id, topic, coalesce(topic_id, ''), kafka_partition, kafka_offset);
