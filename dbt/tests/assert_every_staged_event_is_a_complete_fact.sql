-- Referential completeness: every staged event of the batches fct_sales has
-- built has its fact row, and every fact row finds each of its dimensions.
--
-- Over those batches, not all of staging: a batch the pipeline commits after
-- fct_sales claimed its batches has no facts yet, rightly. A build checks
-- the batches no build has tested yet: a dimension row is never deleted and
-- a fact never changes its keys, so a fact complete once stays complete; the
-- full test run (dbt test, DAG superstore_warehouse_full_tests) checks every
-- batch again.
{%- set whole = tests_whole_warehouse() %}
{%- set batches = batches_built_by(['fct_sales']) if whole else batches_untested('fct_sales') %}
with batches as (

    select committed_at from ({{ batches | indent(4) }}) as built

),

staged as (

    select event_id
    from {{ source('staging', 'sales_events') }}
    where {{ ingested_in('ingested_at', 'batches', whole) }}

),

facts as (

    select *
    from {{ ref('fct_sales') }}
    where {{ ingested_in('ingested_at', 'batches', whole) }}

),

missing_facts as (

    select staged.event_id, 'no fact row' as problem
    from staged
    left join facts using (event_id)
    where facts.event_id is null

),

orphan_facts as (

    select facts.event_id, 'a dimension is missing' as problem
    from facts
    left join {{ ref('dim_customer') }} as customers using (customer_key)
    left join {{ ref('dim_product') }} as products using (product_key)
    left join {{ ref('dim_location') }} as locations using (location_key)
    left join {{ ref('dim_date') }} as order_dates on order_dates.date_key = facts.order_date_key
    left join {{ ref('dim_date') }} as ship_dates on ship_dates.date_key = facts.ship_date_key
    where customers.customer_key is null
        or products.product_key is null
        or locations.location_key is null
        or order_dates.date_key is null
        or ship_dates.date_key is null

)

select * from missing_facts
union all
select * from orphan_facts
