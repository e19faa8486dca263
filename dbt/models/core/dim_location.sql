{{ config(unique_key='location_key') }}

-- One row per shipping location, keyed by (country, state, city,
-- postal_code). Policy: type 1 for the region, from the latest event.
with events as (

    select * from {{ ref('stg_sales_events') }}

),

touched as (

    select distinct country, state, city, postal_code
    from events
    {{ ingested_since() }}

),

location_events as (

    select events.*
    from events
    inner join touched using (country, state, city, postal_code)

),

latest as (

    select distinct on (country, state, city, postal_code)
        country,
        state,
        city,
        postal_code,
        region
    from location_events
    order by country, state, city, postal_code, event_at desc, event_id desc

),

history as (

    select
        country,
        state,
        city,
        postal_code,
        max(ingested_at) as last_ingested_at
    from location_events
    group by country, state, city, postal_code

),

final as (

    select
        {{ hash_key(['latest.country', 'latest.state', 'latest.city', 'latest.postal_code']) }} as location_key,
        latest.country,
        latest.state,
        latest.city,
        latest.postal_code,
        latest.region,
        history.last_ingested_at
    from latest
    inner join history using (country, state, city, postal_code)

)

select * from final
