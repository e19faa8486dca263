{{ config(
    unique_key='product_key',
    pre_hook="{{ note_dimension_changes(
        business_key=['product_id'],
        mart_attributes=['category', 'sub_category'],
    ) }}",
) }}

-- One row per product, type 1: the name, category and sub-category of the
-- product's latest event by (event_at, event_id), so a late event with an
-- older timestamp never rolls a value back. An incremental build weighs the
-- events of its new batches against the current row of every product they
-- touch, and the latest wins: a maximum is associative and idempotent, so any
-- sequence of incremental builds gives the rows a full build gives. The
-- marts group by category, so the pre-hook notes, before a category is
-- overwritten, the order dates the marts must recompute.
with new_events as (

    select
        product_id,
        product_name,
        category,
        sub_category,
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
        current.product_id,
        current.product_name,
        current.category,
        current.sub_category,
        current.attributes_event_at as event_at,
        current.attributes_event_id as event_id,
        current.first_order_date as order_date,
        current.last_ingested_at as ingested_at
    from {{ this }} as current
    inner join (select distinct product_id from new_events) as touched
        using (product_id)

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

    select distinct on (product_id)
        product_id,
        product_name,
        category,
        sub_category,
        event_at as attributes_event_at,
        event_id as attributes_event_id
    from candidates
    order by product_id, event_at desc, event_id desc

),

history as (

    select
        product_id,
        min(order_date) as first_order_date,
        max(ingested_at) as last_ingested_at
    from candidates
    group by
        product_id

),

final as (

    select
        {{ hash_key(['product_id']) }} as product_key,
        latest.product_id,
        latest.product_name,
        latest.category,
        latest.sub_category,
        history.first_order_date,
        latest.attributes_event_at,
        latest.attributes_event_id,
        history.last_ingested_at
    from latest
    inner join history using (product_id)

)

select * from final
