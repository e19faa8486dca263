-- Referential completeness: every staged event has its fact row, and every
-- fact row finds each of its dimensions.
with staged as (

    select event_id from {{ source('staging', 'sales_events') }}

),

facts as (

    select * from {{ ref('fct_sales') }}

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
