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
    marts`) never skips facts that core has not built yet.
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
    Pre-hook. built_by: the upstream models whose built batches this model
    may take (none: every committed batch). A full build claims them all
    and forgets what the model had built before.
#}
{% macro claim_ingest_batches(built_by=none) %}
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
    ingested_at, equal to the batch's committed_at). Full builds read all.
#}
{% macro in_claimed_batches(column='ingested_at') -%}
    {%- if is_incremental() -%}
    where {{ column }} in (select committed_at from claimed_batches)
    {%- endif -%}
{%- endmacro %}

{#
    Pre-hook of a type-1 dimension that marts read (its meta names the
    business_key and the mart_attributes), after the claim: the
    keys whose tracked attributes (the ones the marts group by) the claimed
    batches may change, noted per batch in core.dimension_changes before
    the dimension overwrites them. A mart then also recomputes every key
    (date) holding facts of those dimension rows. A key is noted when a
    claimed event is newer, by (event_at, event_id), than the current row
    and differs in a tracked attribute: a superset of the real changes,
    which only costs recomputing a few more keys.
#}
{% macro note_dimension_changes(meta) %}
    {%- set tracked = (meta or {}).get('mart_attributes') %}
    {%- if tracked and is_incremental() %}
    {%- set surrogate_key = config.get('unique_key') %}
    {%- set business_key = [] %}
    {%- for column in meta['business_key'] %}{% do business_key.append('events.' ~ column) %}{% endfor %}
    insert into {{ dimension_changes() }} (dimension, dimension_key, batch_id)
    select distinct '{{ this.identifier }}', current_rows.{{ surrogate_key }}, claimed.batch_id
    from {{ generate_schema_name('stg', none) | trim }}.stg_sales_events as events
    inner join claimed_batches as claimed on events.ingested_at = claimed.committed_at
    inner join {{ this }} as current_rows
        on current_rows.{{ surrogate_key }} = {{ hash_key(business_key) }}
    where (events.event_at, events.event_id)
            > (current_rows.attributes_event_at, current_rows.attributes_event_id)
        and (
        {%- for column in tracked %}
            {% if not loop.first %}or {% endif %}events.{{ column }} is distinct from current_rows.{{ column }}
        {%- endfor %}
        )
    on conflict do nothing;
    {%- endif %}
{% endmacro %}

{% macro dimension_changes() -%}
    {{ generate_schema_name('core', none) | trim }}.dimension_changes
{%- endmacro %}

{# on-run-start, with the bookkeeping: the dimension changes the marts read. #}
{% macro create_dimension_changes() %}
    create table if not exists {{ dimension_changes() }} (
        dimension     text   not null,
        dimension_key text   not null,
        batch_id      bigint not null,
        primary key (dimension, batch_id, dimension_key)
    );
{% endmacro %}

{#
    The order dates a mart recomputes: those of the facts of its claimed
    batches, and every date holding facts of a dimension row those batches
    changed (see note_dimension_changes).
#}
{% macro touched_order_dates(dimensions) -%}
    select facts.order_date_key
    from {{ ref('fct_sales') }} as facts
    where facts.ingested_at in (select committed_at from claimed_batches)
    {%- for dimension, key in dimensions.items() %}
    union
    select facts.order_date_key
    from {{ ref('fct_sales') }} as facts
    inner join {{ dimension_changes() }} as changes
        on changes.dimension = '{{ dimension }}'
        and changes.dimension_key = facts.{{ key }}
    where changes.batch_id in (select batch_id from claimed_batches)
    {%- endfor %}
{%- endmacro %}
