{#
    The upgrade of a warehouse whose marts.daily_sales was built before
    returns: it lacks returned_units, refunds and net_sales, and an
    incremental build refuses the new columns (on_schema_change: fail). Run
    once after upgrading, then build:

        scripts/dbt.sh run-operation drop_marts_built_before_returns
        scripts/dbt.sh build

    It drops marts.daily_sales when it lacks net_sales, and nothing
    otherwise; the build rebuilds it whole from the facts, so nothing is
    lost. An operation for the same reasons as drop_core_built_before_labels:
    asked for and seen by the person upgrading, safe to run on any warehouse.
#}
{% macro drop_marts_built_before_returns() %}
    {%- set marts = generate_schema_name('marts', none) | trim -%}
    {%- set daily = adapter.get_relation(database=target.database, schema=marts, identifier='daily_sales') -%}
    {%- if daily is none -%}
        {{ log("no " ~ marts ~ ".daily_sales yet: nothing to drop", info=true) }}
    {%- elif 'net_sales' in adapter.get_columns_in_relation(daily) | map(attribute='name') | list -%}
        {{ log(marts ~ ".daily_sales has net_sales already: nothing to drop", info=true) }}
    {%- else -%}
        {%- do adapter.drop_relation(daily) -%}
        {#- A run-operation leaves it to the macro to commit. -#}
        {%- do adapter.commit() -%}
        {{ log("dropped " ~ marts ~ ".daily_sales, built before returns: run `scripts/dbt.sh build` "
               ~ "to rebuild it from the facts", info=true) }}
    {%- endif -%}
{% endmacro %}
