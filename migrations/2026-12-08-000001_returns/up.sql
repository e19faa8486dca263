-- Returns: the second event type of the log. A return is staged only once
-- the order aggregate has judged it against its order's staged sales and
-- earlier returns, in the same transaction as the batch that carries it.

-- The append-only log of accepted returns, one row per distinct event_id.
create table staging.return_events (
    event_id        uuid          primary key,
    event_time      timestamptz   not null,
    order_id        text          not null,
    product_id      text          not null,
    quantity        integer       not null check (quantity > 0),
    refund          numeric(16,4) not null check (refund > 0),
    reason          text          not null,
    return_date     date          not null,
    schema_id       integer       not null,
    kafka_topic     text          not null,
    kafka_partition integer       not null,
    kafka_offset    bigint        not null,
    kafka_timestamp timestamptz,
    kafka_headers   jsonb         not null default '[]',
    ingested_at     timestamptz   not null default now()
);

create index return_events_order_id on staging.return_events (order_id);
create index return_events_ingested_at on staging.return_events (ingested_at);

-- The aggregate reads an order's lines when one of its returns arrives.
create index sales_events_order_id on staging.sales_events (order_id);

-- Returns whose order has no staged sale yet, held for a bounded time: the
-- sale may be on its way (another partition, a replay). Written in the
-- transaction that consumed the return, so the partition's offsets can pass
-- it without losing it; a later transaction stages it once its sale is
-- staged, or quarantines it (with these bytes) once the bound has passed.
create table staging.held_returns (
    event_id        uuid          not null,
    group_id        text          not null,
    topic           text          not null,
    topic_id        text,
    kafka_partition integer       not null,
    kafka_offset    bigint        not null,
    message_key     bytea,
    raw_value       bytea,
    kafka_timestamp timestamptz,
    kafka_headers   jsonb         not null default '[]',
    schema_id       integer       not null,
    event_time      timestamptz   not null,
    order_id        text          not null,
    product_id      text          not null,
    quantity        integer       not null,
    refund          numeric(16,4) not null,
    reason          text          not null,
    return_date     date          not null,
    held_at         timestamptz   not null default now(),
    primary key (group_id, topic, kafka_partition, kafka_offset)
);

create index held_returns_order_id on staging.held_returns (group_id, topic, order_id);

-- The audit counts the change in held returns: +1 for a return held by the
-- batch, -1 for one it released (staged, quarantined or found a duplicate),
-- so that over all rows n_in = inserted + rejected + duplicate + still held.
alter table staging.ingest_batches
    add column n_held integer not null default 0,
    drop constraint ingest_batches_check,
    add constraint ingest_batches_conservation
        check (n_in = n_inserted + n_rejected + n_duplicate + n_held);
