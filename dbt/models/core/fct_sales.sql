{{ config(
    unique_key='sale_key',
    indexes=[
        {'columns': ['sale_key'], 'unique': True},
        {'columns': ['event_id'], 'unique': True},
        {'columns': ['ingested_at']},
        {'columns': ['order_date_key']},
        {'columns': ['customer_key']},
        {'columns': ['order_id']},
    ],
) }}

-- One row per sale event (one order line), with a foreign key to every
-- dimension. Keys are hashes of business keys, computed here without a
-- lookup. Staging is append-only and its rows never change, so an
-- incremental run inserts the events of the batches it has not built yet
-- (macros/ingest_batch_watermark.sql) that it does not hold already. The
-- indexes on ingested_at, order_date_key and customer_key let the marts find
-- the new facts and recompute the dates and customers they touch; the one on
-- order_id, fct_returns find the lines its new returns return.
--
-- The facts take only the batches that every dimension has built (the claim
-- follows these dependencies): batches keep committing while a scheduled
-- build runs, and a fact must never point at a dimension row not written yet.
-- depends_on: {{ ref('dim_customer') }}
-- depends_on: {{ ref('dim_product') }}
-- depends_on: {{ ref('dim_location') }}
-- depends_on: {{ ref('dim_date') }}
with events as (

    select * from {{ ref('stg_sales_events') }}
    {{ in_claimed_batches() }}

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
