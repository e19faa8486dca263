-- One row per staged return, renamed and typed for the warehouse, with the
-- reason's label ("Wrong Item") in place of its Avro symbol. Staging holds
-- only returns the order aggregate accepted, so every row names a line that
-- is in stg_sales_events.
with source as (

    select * from {{ source('staging', 'return_events') }}

),

labels as (

    select * from {{ ref('enum_labels') }}

),

renamed as (

    select
        source.event_id,
        source.event_time as event_at,
        source.order_id,
        source.product_id,
        cast(source.quantity as integer) as quantity,
        cast(source.refund as numeric(16, 4)) as refund_amount,
        reasons.label as reason,
        source.return_date,
        source.schema_id,
        source.kafka_topic,
        source.kafka_partition,
        source.kafka_offset,
        source.ingested_at
    from source
    left join labels as reasons
        on reasons.enum_name = 'ReturnReason'
        and reasons.symbol = source.reason

)

select * from renamed
