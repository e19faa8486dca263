drop table if exists staging.ingest_batches;
drop table if exists staging.consumer_offsets;
drop table if exists staging.rejected_events;
drop table if exists staging.sales_events;
drop schema if exists staging;
