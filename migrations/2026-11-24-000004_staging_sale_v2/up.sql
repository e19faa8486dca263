-- Columns for the fields schemas/sale/v2.avsc added. Rows staged from v1
-- events carry the schema defaults, as the reader resolves them.
alter table staging.sales_events
    add column payment_method text not null default 'UNKNOWN',
    add column loyalty_id     text;
