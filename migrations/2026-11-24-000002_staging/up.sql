-- The staging layer: what the pipeline writes, exactly once per Kafka record.
create schema if not exists staging;

-- The append-only log of accepted sale events, one row per distinct event_id.
create table staging.sales_events (
    event_id        uuid          primary key,
    event_time      timestamptz   not null,
    order_id        text          not null,
    order_date      date          not null,
    ship_date       date          not null,
    ship_mode       text          not null,
    customer_id     text          not null,
    customer_name   text          not null,
    segment         text          not null,
    country         text          not null,
    state           text          not null,
    city            text          not null,
    postal_code     text          not null,
    region          text          not null,
    product_id      text          not null,
    product_name    text          not null,
    category        text          not null,
    sub_category    text          not null,
    sales           numeric(12,2) not null,
    quantity        integer       not null,
    discount        numeric(4,2)  not null,
    profit          numeric(12,2) not null,
    schema_id       integer       not null,
    kafka_topic     text          not null,
    kafka_partition integer       not null,
    kafka_offset    bigint        not null,
    ingested_at     timestamptz   not null default now()
);

create index sales_events_ingested_at on staging.sales_events (ingested_at);

-- The quarantine: every record the pipeline could not accept, with its bytes.
create table staging.rejected_events (
    rejected_id     bigint        generated always as identity primary key,
    topic           text          not null,
    kafka_partition integer       not null,
    kafka_offset    bigint        not null,
    message_key     bytea,
    raw_value       bytea,
    schema_id       integer,
    reason          text          not null,
    detail          text          not null,
    rejected_at     timestamptz   not null default now(),
    unique (topic, kafka_partition, kafka_offset)
);

create index rejected_events_reason on staging.rejected_events (reason);

-- Where to resume: the source of truth for the consumer's position.
create table staging.consumer_offsets (
    group_id    text        not null,
    topic       text        not null,
    partition   integer     not null,
    next_offset bigint      not null check (next_offset >= 0),
    updated_at  timestamptz not null default now(),
    primary key (group_id, topic, partition)
);

-- One audit row per committed batch. Conservation is a constraint, not a hope.
create table staging.ingest_batches (
    batch_id      bigint      generated always as identity primary key,
    group_id      text        not null,
    topic         text        not null,
    offset_ranges jsonb       not null,
    n_in          integer     not null,
    n_inserted    integer     not null,
    n_rejected    integer     not null,
    n_duplicate   integer     not null,
    committed_at  timestamptz not null default now(),
    check (n_in = n_inserted + n_rejected + n_duplicate)
);
