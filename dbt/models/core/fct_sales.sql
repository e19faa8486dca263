{{ config(unique_key='sale_key') }}

-- One row per sale event (one order line), with a foreign key to every
-- dimension. Keys are hashes of business keys, computed here without a
-- lookup. Staging is append-only and keyed by event_id, so each event gives
-- exactly one row, and re-reading the lookback window replaces rows with
-- identical ones.
with events as (

    select * from {{ ref('stg_sales_events') }}
    {{ ingested_since(target_column='ingested_at') }}

),

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
    from events

)

select * from final
