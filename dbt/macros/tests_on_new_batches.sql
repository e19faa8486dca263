{#
    Which rows the data tests check. A `dbt build` tests the rows of the
    ingest batches that its models have built and that no build has tested
    yet, so that its cost follows the new rows, not the size of the
    warehouse; every other run tests the whole warehouse: `dbt test` (what
    the Airflow DAG superstore_warehouse_full_tests runs daily), `dbt build
    --full-refresh`, and any command given `--vars 'superstore_full_tests:
    true'`. Old rows are checked again, whole, by the next full run.

    A batch counts as tested for a model once a build's data tests of that
    model all passed (record_tested_batches, on-run-end, lists it in
    core.tested_ingest_batches (model, batch_id, tested_at), beside
    built_ingest_batches, whose rows stay as their build committed them).
    Until then every build tests its rows again: a build retried after a
    failed test does not pass by finding nothing new.

    A model (or source) says how its rows tie to ingest batches with
    meta.tested_rows; one without it (dim_date, rewritten whole on every
    build) is tested whole:
    - {batch_column: C}: C holds the batch's committed_at (fct_sales'
      ingested_at): the rows of the model's untested batches;
    - {key: K, event_key: [columns], hashed: bool}: the rows whose K a
      staged event of those batches gives (a dimension's hash key, a mart's
      order date or customer);
    - {pending_column: C}: staged rows that fct_sales has not built yet,
      for staging and its view, which are tested before core takes them.
#}

{# True when the data tests check the whole warehouse (see above). #}
{% macro tests_whole_warehouse() -%}
    {{ return(
        var('superstore_full_tests', false) | string | lower in ('true', '1', 'yes')
        or flags.FULL_REFRESH
        or flags.WHICH != 'build'
    ) }}
{%- endmacro %}

{# The batches whose data tests passed, per model, in the core schema of this build. #}
{% macro tested_ingest_batches() -%}
    {{ generate_schema_name('core', none) | trim }}.tested_ingest_batches
{%- endmacro %}

{#
    on-run-start, after the watermark's table. When it is new, the batches
    already built count as tested: the builds that built them tested the
    whole warehouse.
#}
{% macro create_tested_ingest_batches() %}
    do $$
    begin
        if to_regclass('{{ tested_ingest_batches() }}') is null then
            create table {{ tested_ingest_batches() }} (
                model     text        not null,
                batch_id  bigint      not null,
                tested_at timestamptz not null default now(),
                primary key (model, batch_id)
            );
            insert into {{ tested_ingest_batches() }} (model, batch_id)
            select model, batch_id from {{ built_ingest_batches() }};
        end if;
    end
    $$;
{% endmacro %}

{# The committed_at of the batches a model has built and no build has tested, as a query. #}
{% macro batches_untested(model_name) -%}
    select batches.committed_at
    from staging.ingest_batches as batches
    inner join {{ built_ingest_batches() }} as built using (batch_id)
    where built.model = '{{ model_name }}'
        and not exists (
            select 1 from {{ tested_ingest_batches() }} as tested
            where tested.model = built.model and tested.batch_id = built.batch_id
        )
{%- endmacro %}

{# The committed_at of the batches every model in `models` has built, as a query. #}
{% macro batches_built_by(models) -%}
    select batches.committed_at
    from staging.ingest_batches as batches
    where true
    {%- for name in models %}
        and exists (
            select 1 from {{ built_ingest_batches() }} as built
            where built.model = '{{ name }}' and built.batch_id = batches.batch_id
        )
    {%- endfor %}
{%- endmacro %}

{#
    A predicate on a node's rows: those of its untested batches (its
    meta.tested_rows), or none to test it whole.
#}
{% macro rows_of_new_batches(node) -%}
    {%- set tied = (node.config.meta or {}).get('tested_rows') if node else none -%}
    {%- if not tied or tests_whole_warehouse() -%}
        {{ return(none) }}
    {%- elif tied.pending_column -%}
        {{ return(tied.pending_column ~ ' = any(array(select batches.committed_at'
            ~ ' from staging.ingest_batches as batches where not exists (select 1 from '
            ~ built_ingest_batches() ~ " as built where built.model = 'fct_sales'"
            ~ ' and built.batch_id = batches.batch_id)))') }}
    {%- elif tied.batch_column -%}
        {{ return(tied.batch_column ~ ' = any(array(' ~ batches_untested(node.name) ~ '))') }}
    {%- endif -%}
    {%- set event_key = hash_key(tied.event_key) if tied.hashed else tied.event_key | join(', ') -%}
    {{ return(tied.key ~ ' in (select ' ~ event_key ~ ' from staging.sales_events'
        ~ ' where ingested_at = any(array(' ~ batches_untested(node.name) ~ ')))') }}
{%- endmacro %}

{#
    dbt wraps the model of every generic test with this macro (its own honours
    the test's `where` config, and so does this one). Here it also narrows the
    rows to the new batches' (rows_of_new_batches) unless the test looks at
    the table as a whole (meta.whole_table: at_least_one_row).
#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set conditions = [where] if where else [] -%}
    {%- if execute and not (config.get('meta') or {}).get('whole_table') -%}
        {%- set tested = graph.nodes.get(model.attached_node)
            or graph.sources.get(model.attached_node) -%}
        {%- set new_rows = rows_of_new_batches(tested) -%}
        {%- if new_rows -%}{%- do conditions.append(new_rows) -%}{%- endif -%}
    {%- endif -%}
    {%- if conditions -%}
        {{ return('(select * from ' ~ relation ~ ' where (' ~ conditions | join(') and (')
            ~ ')) dbt_subquery') }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}

{#
    A singular test's filter on rows by their batch: `= any(array(...))` for
    a build's few new batches (it reaches the indexes on ingested_at), `in`
    for all of them (a hash join, where a long array is compared row by row).
#}
{% macro ingested_in(column, batches, whole) -%}
    {%- if whole -%}
    {{ column }} in (select committed_at from {{ batches }})
    {%- else -%}
    {{ column }} = any(array(select committed_at from {{ batches }}))
    {%- endif -%}
{%- endmacro %}

{#
    on-run-end of a build: the batches of every incremental model whose data
    tests ran here and all passed are tested now. A model with a
    failed, erroring or skipped test keeps them untested, for the next build.
    Builds do not overlap (the DAG runs one at a time), so the batches marked
    are those these tests saw.
#}
{% macro record_tested_batches(results) %}
    {%- if execute and flags.WHICH == 'build' %}
    {%- set passed = [] %}
    {%- set failed = [] %}
    {%- for result in results if result.node.resource_type == 'test' %}
        {%- for parent in result.node.depends_on.nodes %}
            {%- do (passed if result.status in ('pass', 'warn') else failed).append(parent) %}
        {%- endfor %}
    {%- endfor %}
    {%- set tested = [] %}
    {%- for unique_id in passed | unique if unique_id not in failed %}
        {%- set node = graph.nodes.get(unique_id) %}
        {%- if node and node.config.materialized == 'incremental' %}
            {%- do tested.append(node.name) %}
        {%- endif %}
    {%- endfor %}
    {%- if tested %}
    insert into {{ tested_ingest_batches() }} (model, batch_id)
    select model, batch_id from {{ built_ingest_batches() }}
    where model in ('{{ tested | join("', '") }}')
    on conflict do nothing
    {%- endif %}
    {%- endif %}
{% endmacro %}
