{#
    Run at the start of every dbt invocation (on-run-start). Core tables
    built by a release before sale schema v3 hold the enums' UPPER_SNAKE
    symbols and two-decimal amounts; an incremental run would relabel only
    the keys that new events touch, and refuse the wider amount columns. So
    when core.fct_sales still has two-decimal amounts, the core tables are
    dropped once, and this run rebuilds them whole from staging (the source
    of truth: nothing is lost). The marts, incremental too, are dropped with
    them and rebuilt whole (their full builds reset their lists of built
    batches).
#}
{% macro rebuild_core_built_before_labels() %}
    {%- if execute -%}
        {%- set core = generate_schema_name('core', none) | trim -%}
        {%- set facts = adapter.get_relation(database=target.database, schema=core, identifier='fct_sales') -%}
        {%- if facts is not none -%}
            {%- set scale_query -%}
                select numeric_scale
                from information_schema.columns
                where table_schema = '{{ core }}'
                    and table_name = 'fct_sales'
                    and column_name = 'sales_amount'
            {%- endset -%}
            {%- set scales = run_query(scale_query).columns[0].values() -%}
            {%- if scales and scales[0] != 4 -%}
                {%- set marts = generate_schema_name('marts', none) | trim -%}
                {{ log("core was built by an earlier release (symbols, two decimals): dropping its tables in " ~ core ~ " and " ~ marts ~ " to rebuild them with labels and four decimals", info=true) }}
                {%- for schema, table in [(core, 'fct_sales'), (core, 'dim_customer'), (core, 'dim_product'),
                        (core, 'dim_location'), (core, 'dim_date'), (marts, 'daily_sales'),
                        (marts, 'category_profit_pivot'), (marts, 'customer_summary')] -%}
                    {%- set relation = adapter.get_relation(database=target.database, schema=schema, identifier=table) -%}
                    {%- if relation is not none -%}
                        {% do adapter.drop_relation(relation) %}
                    {%- endif -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
