-- Every record keeps what Kafka said about it besides its key and value: its
-- timestamp (null when the record has none) and its headers, in order, as a
-- JSON array of {"key": text, "value": base64 of the bytes, or null}.
alter table staging.sales_events
    add column kafka_timestamp timestamptz,
    add column kafka_headers   jsonb not null default '[]';

alter table staging.rejected_events
    add column kafka_timestamp timestamptz,
    add column kafka_headers   jsonb not null default '[]';

-- The dead-letter topic is fed from the quarantine, as an outbox: a row is
-- written in the batch's transaction (staging is the exactly-once side),
-- published to the dead-letter topic afterwards, and marked here once Kafka
-- has acknowledged it. A row not yet marked is sent again (at least once).
alter table staging.rejected_events add column dlq_published_at timestamptz;

create index rejected_events_dlq_pending
    on staging.rejected_events (group_id, topic, rejected_id)
    where dlq_published_at is null;
