{#
    The exact watermark of the incremental models: the set of ingest
    batches (staging.ingest_batches, one audit row per committed staging
    transaction) each model has already built, kept in
    core.built_ingest_batches (model, batch_id).

    Why a set and not max(batch_id) or a time window: a batch's id is drawn
    inside its transaction, not at its commit, so a batch can commit after
    one with a higher id has been built; a time lookback only narrows that
    gap. A batch is either listed for a model or not, so every build takes
    every committed batch the model has not built yet, however late it came.

    A batch's rows carry its committed_at as their ingested_at (both are
    now() of the same transaction), which is how rows are found by batch
    (index sales_events_ingested_at).

    Each model claims its batches in a pre-hook (a temporary table, so the
    set cannot move under the model when a batch commits meanwhile) and
    records them in a post-hook, both inside the model's own transaction:
    the rows and the bookkeeping commit together or not at all. A model
    that reads other incremental models (the marts) only claims batches
    that all of them have built, so building a layer alone (`--select
    marts`), or a mart that starts while a model it does not read is still
    running, never skips facts that core has not built yet.
#}

{% macro batch_bookkeeping() -%}
    {{ generate_schema_name('core', none) | trim }}.built_ingest_batches
{%- endmacro %}

{# on-run-start: the bookkeeping table, before any model claims batches. #}
{% macro create_batch_bookkeeping() %}
    create schema if not exists {{ generate_schema_name('core', none) | trim }};
    create table if not exists {{ batch_bookkeeping() }} (
        model    text   not null,
        batch_id bigint not null,
        primary key (model, batch_id)
    );
{% endmacro %}

{#
    Pre-hook. A model takes the batches that every incremental model it
    reads has built (a core model reads none: every committed batch). A
    full build claims them all and forgets what the model had built before.
#}
{% macro claim_ingest_batches() %}
    {%- set built_by = [] %}
    {%- for node in model.depends_on.nodes %}
        {%- set parent = graph.nodes.get(node) %}
        {%- if parent and parent.resource_type == 'model' and parent.config.materialized == 'incremental' %}
            {%- do built_by.append(parent.name) %}
        {%- endif %}
    {%- endfor %}
    drop table if exists pg_temp.claimed_batches;
    create temporary table claimed_batches as
    select batches.batch_id, batches.committed_at
    from {{ source('staging', 'ingest_batches') }} as batches
    where true
    {%- for upstream in (built_by or []) %}
        and exists (
            select 1 from {{ batch_bookkeeping() }} as built
            where built.model = '{{ upstream }}' and built.batch_id = batches.batch_id
        )
    {%- endfor %}
    {%- if is_incremental() %}
        and not exists (
            select 1 from {{ batch_bookkeeping() }} as built
            where built.model = '{{ this.identifier }}' and built.batch_id = batches.batch_id
        )
    {%- endif %};
    analyze claimed_batches;
    {%- if not is_incremental() %}
    delete from {{ batch_bookkeeping() }} where model = '{{ this.identifier }}';
    {%- endif %}
{% endmacro %}

{# Post-hook: the claimed batches are built, in the model's transaction. #}
{% macro record_ingest_batches() %}
    insert into {{ batch_bookkeeping() }} (model, batch_id)
    select '{{ this.identifier }}', batch_id from claimed_batches
    on conflict do nothing;
    drop table claimed_batches;
{% endmacro %}

{#
    The incremental filter: rows of the claimed batches (found by their
    ingested_at, equal to the batch's committed_at). `= any(array(...))`,
    not `in (select ...)`: a value list goes down through the staging view
    to the index on ingested_at, where a semi-join scanned all of staging.
    Full builds read all.
#}
{% macro in_claimed_batches(column='ingested_at') -%}
    {%- if is_incremental() -%}
    where {{ column }} = any(array(select committed_at from claimed_batches))
    {%- endif -%}
{%- endmacro %}

{#
    Pre-hook of a type-1 dimension that marts read (its meta names the
    business_key and the mart_attributes, the attributes marts group by),
    after the claim. A change of such an attribute changes the marts on
    every date holding facts of that dimension row, and the dimension is
    about to overwrite it: so the order dates of the facts of every key
    that may change are noted here, per claimed batch, in
    core.dimension_changes, and a mart that claims the batch recomputes
    them. A key may change when a claimed event is newer, by (event_at,
    event_id), than the current row and differs in a tracked attribute: a
    superset of the real changes, which only costs recomputing more dates.
    The facts a mart has built are all in fct_sales already (a mart only
    claims batches fct_sales has built); the new batches' own dates the
    mart finds by itself.
#}
{% macro note_dimension_changes(meta) %}
    {%- set tracked = (meta or {}).get('mart_attributes') %}
    {%- set facts = adapter.get_relation(database=this.database, schema=this.schema, identifier='fct_sales') %}
    {%- if tracked and facts is not none and is_incremental() %}
    {%- set surrogate_key = config.get('unique_key') %}
    {%- set business_key = [] %}
    {%- for column in meta['business_key'] %}{% do business_key.append('events.' ~ column) %}{% endfor %}
    insert into {{ dimension_changes() }} (dimension, batch_id, order_date)
    select distinct '{{ this.identifier }}', changed.batch_id, facts.order_date_key
    from (
        select distinct current_rows.{{ surrogate_key }} as dimension_key, claimed.batch_id
        from {{ generate_schema_name('stg', none) | trim }}.stg_sales_events as events
        inner join claimed_batches as claimed on events.ingested_at = claimed.committed_at
        inner join {{ this }} as current_rows
            on current_rows.{{ surrogate_key }} = {{ hash_key(business_key) }}
        where events.ingested_at = any(array(select committed_at from claimed_batches))
            and (events.event_at, events.event_id)
                > (current_rows.attributes_event_at, current_rows.attributes_event_id)
            and (
            {%- for column in tracked %}
                {% if not loop.first %}or {% endif %}events.{{ column }} is distinct from current_rows.{{ column }}
            {%- endfor %}
            )
    ) as changed
    inner join {{ facts }} as facts on facts.{{ surrogate_key }} = changed.dimension_key
    on conflict do nothing;
    {%- endif %}
{% endmacro %}

{% macro dimension_changes() -%}
    {{ generate_schema_name('core', none) | trim }}.dimension_changes
{%- endmacro %}

{# on-run-start, with the bookkeeping: the order dates that dimension changes make marts recompute. #}
{% macro create_dimension_changes() %}
    create table if not exists {{ dimension_changes() }} (
        dimension  text   not null,
        batch_id   bigint not null,
        order_date date   not null,
        primary key (dimension, batch_id, order_date)
    );
{% endmacro %}

{#
    The order dates a mart recomputes: those of the facts of its claimed
    batches, and those noted for them by the dimensions it groups by (see
    note_dimension_changes).
#}
{% macro touched_order_dates(dimensions) -%}
    select facts.order_date_key
    from {{ ref('fct_sales') }} as facts
    where facts.ingested_at = any(array(select committed_at from claimed_batches))
    union
    select changes.order_date
    from {{ dimension_changes() }} as changes
    where changes.dimension in ('{{ dimensions | join("', '") }}')
        and changes.batch_id in (select batch_id from claimed_batches)
{%- endmacro %}
