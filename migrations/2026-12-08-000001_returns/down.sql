alter table staging.ingest_batches
    drop constraint ingest_batches_conservation,
    drop column n_held,
    add constraint ingest_batches_check check (n_in = n_inserted + n_rejected + n_duplicate);
drop table staging.held_returns;
drop index staging.sales_events_order_id;
drop table staging.return_events;
