{#
    Dimension changes the marts must follow. A mart groups facts by
    attributes of a type-1 dimension (a product's category, a location's
    region); when such an attribute changes, the mart changes on every
    order date that holds facts of that dimension row, not only on the
    dates of the new facts. So, before a dimension overwrites its rows, it
    notes those order dates per claimed batch in core.dimension_changes
    (dimension, batch_id, order_date), and a mart recomputes them when it
    claims the batch (order_dates_to_recompute). The batch watermark itself
    lives in ingest_batch_watermark.sql.
#}

{# The table of noted dates, in the core schema of this build (suffix included). #}
{% macro dimension_changes() -%}
    {{ generate_schema_name('core', none) | trim }}.dimension_changes
{%- endmacro %}

{# on-run-start, after the bookkeeping: the table the dimensions note dates in. #}
{% macro create_dimension_changes() %}
    create table if not exists {{ dimension_changes() }} (
        dimension  text   not null,
        batch_id   bigint not null,
        order_date date   not null,
        primary key (dimension, batch_id, order_date)
    );
{% endmacro %}

{#
    Pre-hook of a type-1 dimension that marts group by, after the claim:
    business_key names its business key columns, mart_attributes the
    attributes the marts group by. A key may change when a claimed event is
    newer, by (event_at, event_id), than the current row and differs in a
    tracked attribute: a superset of the real changes, which only costs
    recomputing more dates. The facts a mart has built are all in fct_sales
    already (a mart only claims batches fct_sales has built); the new
    batches' own dates the mart finds by itself.
#}
{% macro note_dimension_changes(business_key, mart_attributes) %}
    {%- set facts = adapter.get_relation(database=this.database, schema=this.schema, identifier='fct_sales') %}
    {%- if facts is not none and is_incremental() %}
    {%- set surrogate_key = config.get('unique_key') %}
    {%- set event_business_key = [] %}
    {%- for column in business_key %}{% do event_business_key.append('events.' ~ column) %}{% endfor %}
    insert into {{ dimension_changes() }} (dimension, batch_id, order_date)
    select distinct '{{ this.identifier }}', changed.batch_id, facts.order_date_key
    from (
        select distinct current_rows.{{ surrogate_key }} as dimension_key, claimed.batch_id
        from {{ generate_schema_name('stg', none) | trim }}.stg_sales_events as events
        inner join claimed_batches as claimed on events.ingested_at = claimed.committed_at
        inner join {{ this }} as current_rows
            on current_rows.{{ surrogate_key }} = {{ hash_key(event_business_key) }}
        where events.ingested_at = any(array(select committed_at from claimed_batches))
            and (events.event_at, events.event_id)
                > (current_rows.attributes_event_at, current_rows.attributes_event_id)
            and (
            {%- for column in mart_attributes %}
                {% if not loop.first %}or {% endif %}events.{{ column }} is distinct from current_rows.{{ column }}
            {%- endfor %}
            )
    ) as changed
    inner join {{ facts }} as facts on facts.{{ surrogate_key }} = changed.dimension_key
    on conflict do nothing;
    {%- endif %}
{% endmacro %}

{#
    The order dates a mart recomputes, as a query: those of the facts of its
    claimed batches (with returns: of the returns too, by their order's
    date), and those the dimensions it groups by noted for them.
#}
{% macro order_dates_to_recompute(dimensions, with_returns=false) -%}
    select facts.order_date_key
    from {{ ref('fct_sales') }} as facts
    where facts.ingested_at = any(array(select committed_at from claimed_batches))
    union
    {%- if with_returns %}
    select returns.order_date_key
    from {{ ref('fct_returns') }} as returns
    where returns.ingested_at = any(array(select committed_at from claimed_batches))
    union
    {%- endif %}
    select changes.order_date
    from {{ dimension_changes() }} as changes
    where changes.dimension in ('{{ dimensions | join("', '") }}')
        and changes.batch_id in (select batch_id from claimed_batches)
{%- endmacro %}
