-- One row per accepted sale event, renamed and typed for the warehouse.
with source as (

    select * from {{ source('staging', 'sales_events') }}

),

renamed as (

    select
        event_id,
        event_time as event_at,
        order_id,
        order_date,
        ship_date,
        ship_mode,
        customer_id,
        customer_name,
        segment,
        country,
        state,
        city,
        postal_code,
        region,
        product_id,
        product_name,
        category,
        sub_category,
        cast(sales as numeric(12, 2)) as sales_amount,
        cast(quantity as integer) as quantity,
        cast(discount as numeric(4, 2)) as discount_rate,
        cast(profit as numeric(12, 2)) as profit_amount,
        payment_method,
        loyalty_id,
        schema_id,
        kafka_topic,
        kafka_partition,
        kafka_offset,
        ingested_at
    from source

)

select * from renamed
