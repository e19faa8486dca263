{{ config(unique_key='product_key') }}

-- One row per product. Attribute policy: type 1, the values of the product's
-- latest event by (event_at, event_id); an incremental run recomputes every
-- product its new events touch, from all of that product's events.
with events as (

    select * from {{ ref('stg_sales_events') }}

),

touched as (

    select distinct product_id
    from events
    {{ ingested_since() }}

),

product_events as (

    select events.*
    from events
    inner join touched using (product_id)

),

latest as (

    select distinct on (product_id)
        product_id,
        product_name,
        category,
        sub_category
    from product_events
    order by product_id, event_at desc, event_id desc

),

history as (

    select
        product_id,
        max(ingested_at) as last_ingested_at
    from product_events
    group by product_id

),

final as (

    select
        {{ hash_key(['latest.product_id']) }} as product_key,
        latest.product_id,
        latest.product_name,
        latest.category,
        latest.sub_category,
        history.last_ingested_at
    from latest
    inner join history using (product_id)

)

select * from final
