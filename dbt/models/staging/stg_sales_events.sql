-- One row per accepted sale event, renamed and typed for the warehouse.
-- Staging holds the enums' Avro symbols (the wire contract); from here on
-- the warehouse speaks the labels of the classic Superstore dataset
-- ("Second Class", "Office Supplies"), from the seed enum_labels.
with source as (

    select * from {{ source('staging', 'sales_events') }}

),

labels as (

    select * from {{ ref('enum_labels') }}

),

renamed as (

    select
        source.event_id,
        source.event_time as event_at,
        source.order_id,
        source.order_date,
        source.ship_date,
        ship_modes.label as ship_mode,
        source.customer_id,
        source.customer_name,
        segments.label as segment,
        source.country,
        source.state,
        source.city,
        source.postal_code,
        regions.label as region,
        source.product_id,
        source.product_name,
        categories.label as category,
        source.sub_category,
        cast(source.sales as numeric(16, 4)) as sales_amount,
        cast(source.quantity as integer) as quantity,
        cast(source.discount as numeric(6, 4)) as discount_rate,
        cast(source.profit as numeric(16, 4)) as profit_amount,
        payment_methods.label as payment_method,
        source.loyalty_id,
        source.schema_id,
        source.kafka_topic,
        source.kafka_partition,
        source.kafka_offset,
        source.ingested_at
    from source
    left join labels as ship_modes
        on ship_modes.enum_name = 'ShipMode'
        and ship_modes.symbol = source.ship_mode
    left join labels as segments
        on segments.enum_name = 'Segment'
        and segments.symbol = source.segment
    left join labels as regions
        on regions.enum_name = 'Region'
        and regions.symbol = source.region
    left join labels as categories
        on categories.enum_name = 'Category'
        and categories.symbol = source.category
    left join labels as payment_methods
        on payment_methods.enum_name = 'PaymentMethod'
        and payment_methods.symbol = source.payment_method

)

select * from renamed
