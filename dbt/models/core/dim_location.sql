{{ config(
    unique_key='location_key',
    pre_hook="{{ note_dimension_changes(
        business_key=['country', 'state', 'city', 'postal_code'],
        mart_attributes=['region'],
    ) }}",
) }}

-- One row per shipping location (country, state, city, postal code), type 1:
-- the region of the location's latest event by (event_at, event_id), so a
-- late event with an older timestamp never rolls a value back. An incremental
-- build weighs the events of its new batches against the current row of every
-- location they touch, and the latest wins: a maximum is associative and
-- idempotent, so any sequence of incremental builds gives the rows a full
-- build gives. The marts group by region, so the pre-hook notes, before a
-- region is overwritten, the order dates the marts must recompute.
with new_events as (

    select
        country,
        state,
        city,
        postal_code,
        region,
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
        current.country,
        current.state,
        current.city,
        current.postal_code,
        current.region,
        current.attributes_event_at as event_at,
        current.attributes_event_id as event_id,
        current.first_order_date as order_date,
        current.last_ingested_at as ingested_at
    from {{ this }} as current
    inner join (select distinct country, state, city, postal_code from new_events) as touched
        using (country, state, city, postal_code)

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

    select distinct on (country, state, city, postal_code)
        country,
        state,
        city,
        postal_code,
        region,
        event_at as attributes_event_at,
        event_id as attributes_event_id
    from candidates
    order by country, state, city, postal_code, event_at desc, event_id desc

),

history as (

    select
        country,
        state,
        city,
        postal_code,
        min(order_date) as first_order_date,
        max(ingested_at) as last_ingested_at
    from candidates
    group by
        country,
        state,
        city,
        postal_code

),

final as (

    select
        {{ hash_key(['country', 'state', 'city', 'postal_code']) }} as location_key,
        latest.country,
        latest.state,
        latest.city,
        latest.postal_code,
        latest.region,
        history.first_order_date,
        latest.attributes_event_at,
        latest.attributes_event_id,
        history.last_ingested_at
    from latest
    inner join history using (country, state, city, postal_code)

)

select * from final
