{{ config(
    unique_key='sale_key',
    indexes=[
        {'columns': ['sale_key'], 'unique': True},
        {'columns': ['event_id'], 'unique': True},
        {'columns': ['ingested_at']},
    ],
) }}

-- One row per sale event (one order line), with a foreign key to every
-- dimension. Keys are hashes of business keys, computed here without a
-- lookup. Staging is append-only and its rows never change, so an
-- incremental run inserts only the events of the lookback window that the
-- fact does not hold yet: re-reading the window rewrites nothing.
with events as (

    select * from {{ ref('stg_sales_events') }}
    {{ ingested_since(target_column='ingested_at') }}

),

{% if is_incremental() %}
new_events as (

    select events.*
    from events
    where not exists (
        select 1
        from {{ this }} as facts
        where facts.event_id = events.event_id
    )

),
{% else %}
new_events as (

    select * from events

),
{% endif %}

final as (

    select
        {{ hash_key(['event_id']) }} as sale_key,
        event_id,
        order_id,
        order_date as order_date_key,
        ship_date as ship_date_key,
        {{ hash_key(['customer_id']) }} as customer_key,
        {{ hash_key(['product_id']) }} as product_key,
        {{ hash_key(['country', 'state', 'city', 'postal_code']) }} as location_key,
        ship_mode,
        payment_method,
        loyalty_id,
        quantity,
        discount_rate,
        sales_amount,
        profit_amount,
        event_at,
        ingested_at
    from new_events

)

select * from final
