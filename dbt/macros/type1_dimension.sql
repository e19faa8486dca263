{#
    A type-1 dimension over stg_sales_events: one row per business key, with
    the attribute values of the key's latest event by (event_at, event_id).

    Incremental runs cost what the new events cost: the candidates are the
    new events (the batches it has not built yet) plus the current
    row of every key they touch, and the latest candidate wins. Taking a
    maximum is associative and idempotent, so any sequence of incremental
    runs, batches built twice and late events included, yields the rows a full
    build yields.
#}
{% macro type1_dimension(surrogate_key, business_key, attributes) -%}
{%- set candidate_columns = business_key + attributes -%}
with new_events as (

    select
        {%- for column in candidate_columns %}
        {{ column }},
        {%- endfor %}
        event_at,
        event_id,
        order_date,
        ingested_at
    from {{ ref('stg_sales_events') }}
    {{ in_claimed_batches() }}

),

{% if is_incremental() %}
current_rows as (

    select
        {%- for column in candidate_columns %}
        current.{{ column }},
        {%- endfor %}
        current.attributes_event_at as event_at,
        current.attributes_event_id as event_id,
        current.first_order_date as order_date,
        current.last_ingested_at as ingested_at
    from {{ this }} as current
    inner join (select distinct {{ business_key | join(', ') }} from new_events) as touched
        using ({{ business_key | join(', ') }})

),

candidates as (

    select * from new_events
    union all
    select * from current_rows

),
{% else %}
candidates as (

    select * from new_events

),
{% endif %}

latest as (

    select distinct on ({{ business_key | join(', ') }})
        {%- for column in candidate_columns %}
        {{ column }},
        {%- endfor %}
        event_at as attributes_event_at,
        event_id as attributes_event_id
    from candidates
    order by {{ business_key | join(', ') }}, event_at desc, event_id desc

),

history as (

    select
        {%- for column in business_key %}
        {{ column }},
        {%- endfor %}
        min(order_date) as first_order_date,
        max(ingested_at) as last_ingested_at
    from candidates
    group by
        {{ business_key | join(',\n        ') }}

),

final as (

    select
        {{ hash_key(business_key) }} as {{ surrogate_key }},
        {%- for column in candidate_columns %}
        latest.{{ column }},
        {%- endfor %}
        history.first_order_date,
        latest.attributes_event_at,
        latest.attributes_event_id,
        history.last_ingested_at
    from latest
    inner join history using ({{ business_key | join(', ') }})

)

select * from final
{%- endmacro %}
