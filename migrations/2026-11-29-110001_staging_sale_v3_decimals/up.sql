-- Schema v3 carries sales, profit and discount with four decimals. Widening
-- a numeric column keeps every value exactly (261.96 becomes 261.9600), and
-- the integer digits stay as many as before: 12 for amounts, 2 for discounts.
-- Views over staging.sales_events are set aside and put back unchanged
-- (see 2026-11-29-110000_views_survive_column_changes).
select staging.set_aside_views_on('staging.sales_events');

alter table staging.sales_events
    alter column sales    type numeric(16,4),
    alter column profit   type numeric(16,4),
    alter column discount type numeric(6,4);

select staging.put_back_views();
