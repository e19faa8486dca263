drop index staging.rejected_events_dlq_pending;
alter table staging.rejected_events
    drop column dlq_published_at,
    drop column kafka_headers,
    drop column kafka_timestamp;
alter table staging.sales_events
    drop column kafka_headers,
    drop column kafka_timestamp;
