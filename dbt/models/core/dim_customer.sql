{{ config(unique_key='customer_key') }}

-- One row per customer, type 1: the name and segment of the customer's
-- latest event by (event_at, event_id), so a late event with an older
-- timestamp never rolls a value back. An incremental build weighs the events
-- of its new batches against the current row of every customer they touch,
-- and the latest wins: a maximum is associative and idempotent, so any
-- sequence of incremental builds (a batch built twice, late batches) gives
-- the rows a full build gives, at the cost of the new events only.
with new_events as (

    select
        customer_id,
        customer_name,
        segment,
        event_at,
        event_id,
        order_date,
        ingested_at
    from {{ ref('stg_sales_events') }}
    {{ in_claimed_batches() }}

),
{%- if is_incremental() %}

current_rows as (

    select
        current.customer_id,
        current.customer_name,
        current.segment,
        current.attributes_event_at as event_at,
        current.attributes_event_id as event_id,
        current.first_order_date as order_date,
        current.last_ingested_at as ingested_at
    from {{ this }} as current
    inner join (select distinct customer_id from new_events) as touched
        using (customer_id)

),
{%- endif %}

candidates as (

    select * from new_events
{%- if is_incremental() %}
    union all
    select * from current_rows
{%- endif %}

),

latest as (

    select distinct on (customer_id)
        customer_id,
        customer_name,
        segment,
        event_at as attributes_event_at,
        event_id as attributes_event_id
    from candidates
    order by customer_id, event_at desc, event_id desc

),

history as (

    select
        customer_id,
        min(order_date) as first_order_date,
        max(ingested_at) as last_ingested_at
    from candidates
    group by
        customer_id

),

final as (

    select
        {{ hash_key(['customer_id']) }} as customer_key,
        latest.customer_id,
        latest.customer_name,
        latest.segment,
        history.first_order_date,
        latest.attributes_event_at,
        latest.attributes_event_id,
        history.last_ingested_at
    from latest
    inner join history using (customer_id)

)

select * from final
