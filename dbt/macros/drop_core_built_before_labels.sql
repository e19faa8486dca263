{#
    The upgrade of a warehouse whose core was built before the labels and
    the four-decimal amounts (sale schema v3): such a core holds the enums'
    UPPER_SNAKE symbols and two-decimal amounts, and an incremental build
    would relabel only the keys that new events touch and refuse the wider
    amount columns. Run once after upgrading, then build:

        scripts/dbt.sh run-operation drop_core_built_before_labels
        scripts/dbt.sh build

    It drops the core tables and the marts built on them (incremental too),
    with whatever depends on them (views of your own: `cascade`), when
    core.fct_sales still holds two-decimal amounts, and nothing otherwise;
    the build then rebuilds them whole from staging, the source of truth, so
    nothing is lost (full builds also reset their lists of built batches).

    An operation, not an on-run-start hook: the layout it looks for can only
    come from an old release, so checking for it on every dbt invocation
    would cost every scheduled build a catalog query for a change made once;
    and dropping tables is something the person upgrading asks for and sees,
    not a side effect of a routine build. It is safe to run on any warehouse,
    so an upgrade procedure may always include it. Forgotten, builds fail
    loudly until it is run: the dimensions' accepted_values tests refuse the
    symbols left in them, and fct_sales the wider amounts (on_schema_change).
#}
{% macro drop_core_built_before_labels() %}
    {%- set core = generate_schema_name('core', none) | trim -%}
    {%- set marts = generate_schema_name('marts', none) | trim -%}
    {%- set facts = adapter.get_relation(database=target.database, schema=core, identifier='fct_sales') -%}
    {%- set scales = [] -%}
    {%- if facts is not none -%}
        {%- set scale_query -%}
            select numeric_scale
            from information_schema.columns
            where table_schema = '{{ core }}'
                and table_name = 'fct_sales'
                and column_name = 'sales_amount'
        {%- endset -%}
        {%- set scales = run_query(scale_query).columns[0].values() -%}
    {%- endif -%}
    {%- if facts is none -%}
        {{ log("no " ~ core ~ ".fct_sales yet: nothing to drop", info=true) }}
    {%- elif not scales or scales[0] == 4 -%}
        {{ log(core ~ " holds labels and four-decimal amounts already: nothing to drop", info=true) }}
    {%- else -%}
        {%- set dropped = [] -%}
        {%- for schema, table in [(core, 'fct_sales'), (core, 'fct_returns'), (core, 'dim_customer'),
                (core, 'dim_product'), (core, 'dim_location'), (core, 'dim_date'),
                (marts, 'daily_sales'), (marts, 'category_profit_pivot'), (marts, 'customer_summary'),
                (marts, 'return_rates')] -%}
            {%- set relation = adapter.get_relation(database=target.database, schema=schema, identifier=table) -%}
            {%- if relation is not none -%}
                {%- do adapter.drop_relation(relation) -%}
                {%- do dropped.append(schema ~ '.' ~ table) -%}
            {%- endif -%}
        {%- endfor -%}
        {#- A run-operation leaves it to the macro to commit. -#}
        {%- do adapter.commit() -%}
        {{ log("dropped " ~ dropped | join(", ") ~ ", built before labels and four decimals: "
               ~ "run `scripts/dbt.sh build` to rebuild them from staging", info=true) }}
    {%- endif -%}
{% endmacro %}
