-- Schema v3 carries sales, profit and discount with four decimals. Widening
-- a numeric column keeps every value exactly (261.96 becomes 261.9600), and
-- the integer digits stay as many as before: 12 for amounts, 2 for discounts.
alter table staging.sales_events
    alter column sales    type numeric(16,4),
    alter column profit   type numeric(16,4),
    alter column discount type numeric(6,4);
