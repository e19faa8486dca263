{{ config(
    unique_key='return_key',
    indexes=[
        {'columns': ['return_key'], 'unique': True},
        {'columns': ['event_id'], 'unique': True},
        {'columns': ['ingested_at']},
        {'columns': ['order_date_key']},
    ],
) }}

-- One row per staged return, with the keys of the line it returns: the
-- order's date, customer and location, and the product. The pipeline stages
-- a return only once its sale line is staged (in the same batch or an
-- earlier one), and this model claims only batches fct_sales has built, so
-- the line is always there to join. Incremental like fct_sales: the returns
-- of the claimed batches not held yet (macros/ingest_batch_watermark.sql).
with returns as (

    select * from {{ ref('stg_return_events') }}
    {{ in_claimed_batches() }}

),

{% if is_incremental() %}
new_returns as (

    select returns.*
    from returns
    where not exists (
        select 1
        from {{ this }} as facts
        where facts.event_id = returns.event_id
    )

),
{% else %}
new_returns as (

    select * from returns

),
{% endif %}

-- One row per order and product: an order lists a product once in the
-- classic data, and a generated order that lists it twice shares its date,
-- customer and place across both lines.
order_lines as (

    select distinct on (order_id, product_key)
        order_id,
        product_key,
        order_date_key,
        customer_key,
        location_key
    from {{ ref('fct_sales') }}
    where order_id = any(array(select order_id from new_returns))
    order by order_id, product_key, event_at, event_id

),

final as (

    select
        {{ hash_key(['new_returns.event_id']) }} as return_key,
        new_returns.event_id,
        new_returns.order_id,
        order_lines.order_date_key,
        new_returns.return_date as return_date_key,
        order_lines.customer_key,
        order_lines.product_key,
        order_lines.location_key,
        new_returns.reason,
        new_returns.quantity,
        new_returns.refund_amount,
        new_returns.event_at,
        new_returns.ingested_at
    from new_returns
    inner join order_lines
        on order_lines.order_id = new_returns.order_id
        and order_lines.product_key = {{ hash_key(['new_returns.product_id']) }}

)

select * from final
