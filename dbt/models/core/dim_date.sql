{{ config(unique_key='date_key') }}

-- One row per calendar day from the first order date to the last ship date
-- seen in staging, without gaps. An incremental run widens the range it
-- holds by the dates of its new batches and writes the whole range (a few
-- thousand days), so incremental runs and a full build agree even when new
-- events extend the range at either end.
with events as (

    select * from {{ ref('stg_sales_events') }}
    {{ in_claimed_batches() }}

),

event_bounds as (

    select
        min(order_date) as first_day,
        max(greatest(order_date, ship_date)) as last_day
    from events
{%- if is_incremental() %}
    union all
    select min(date_key), max(date_key)
    from {{ this }}
{%- endif %}

),

bounds as (

    select
        min(first_day) as first_day,
        max(last_day) as last_day
    from event_bounds

),

days as (

    select cast(day as date) as calendar_date
    from bounds
    cross join lateral generate_series(bounds.first_day, bounds.last_day, interval '1 day') as day
    where bounds.first_day is not null

),

final as (

    select
        calendar_date as date_key,
        calendar_date,
        cast(extract(isoyear from calendar_date) as integer) as iso_year,
        cast(extract(year from calendar_date) as integer) as calendar_year,
        cast(extract(quarter from calendar_date) as integer) as calendar_quarter,
        cast(extract(month from calendar_date) as integer) as calendar_month,
        cast(to_char(calendar_date, 'FMMonth') as text) as month_name,
        cast(extract(day from calendar_date) as integer) as day_of_month,
        cast(extract(isodow from calendar_date) as integer) as iso_day_of_week,
        cast(to_char(calendar_date, 'FMDay') as text) as day_name,
        extract(isodow from calendar_date) in (6, 7) as is_weekend
    from days

)

select * from final
