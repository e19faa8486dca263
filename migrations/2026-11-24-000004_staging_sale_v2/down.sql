alter table staging.sales_events
    drop column if exists loyalty_id,
    drop column if exists payment_method;
