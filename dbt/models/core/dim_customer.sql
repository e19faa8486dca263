{{ config(unique_key='customer_key') }}

-- One row per customer. Attribute policy: type 1 (current value). The
-- current name and segment are those of the customer's latest event by
-- (event_at, event_id), so a late event with an older timestamp never
-- overwrites a newer value. An incremental run recomputes every customer
-- touched by the new events from all of their events: the same rows a full
-- build gives.
with events as (

    select * from {{ ref('stg_sales_events') }}

),

touched as (

    select distinct customer_id
    from events
    {{ ingested_since() }}

),

customer_events as (

    select events.*
    from events
    inner join touched using (customer_id)

),

latest as (

    select distinct on (customer_id)
        customer_id,
        customer_name,
        segment
    from customer_events
    order by customer_id, event_at desc, event_id desc

),

history as (

    select
        customer_id,
        min(order_date) as first_order_date,
        max(ingested_at) as last_ingested_at
    from customer_events
    group by customer_id

),

final as (

    select
        {{ hash_key(['latest.customer_id']) }} as customer_key,
        latest.customer_id,
        latest.customer_name,
        latest.segment,
        history.first_order_date,
        history.last_ingested_at
    from latest
    inner join history using (customer_id)

)

select * from final
