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

{# The bookkeeping table, in the core schema of this build (suffix included). #}
{% macro built_ingest_batches() -%}
    {{ generate_schema_name('core', none) | trim }}.built_ingest_batches
{%- endmacro %}

{# on-run-start: the bookkeeping table, before any model claims batches. #}
{% macro create_built_ingest_batches() %}
    create schema if not exists {{ generate_schema_name('core', none) | trim }};
    create table if not exists {{ built_ingest_batches() }} (
        model    text   not null,
        batch_id bigint not null,
        primary key (model, batch_id)
    );
{% endmacro %}

{#
    Pre-hook. A model takes the batches that every incremental model it
    reads has built (a core model reads none: every committed batch). A
    full build claims them all and forgets what the model had built (and
    tested) before.
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
            select 1 from {{ built_ingest_batches() }} as built
            where built.model = '{{ upstream }}' and built.batch_id = batches.batch_id
        )
    {%- endfor %}
    {%- if is_incremental() %}
        and not exists (
            select 1 from {{ built_ingest_batches() }} as built
            where built.model = '{{ this.identifier }}' and built.batch_id = batches.batch_id
        )
    {%- endif %};
    analyze claimed_batches;
    {%- if not is_incremental() %}
    delete from {{ built_ingest_batches() }} where model = '{{ this.identifier }}';
    delete from {{ tested_ingest_batches() }} where model = '{{ this.identifier }}';
    {%- endif %}
{% endmacro %}

{# Post-hook: the claimed batches are built, in the model's transaction. #}
{% macro record_ingest_batches() %}
    insert into {{ built_ingest_batches() }} (model, batch_id)
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
