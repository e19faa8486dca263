{#
    Models land in the schema their folder configures, exactly: stg, core,
    marts (dbt's default would prefix the target schema). DBT_SCHEMA_SUFFIX
    builds a whole second copy side by side (core_full_refresh, …), which
    the idempotence check compares with the incremental one.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set base = custom_schema_name if custom_schema_name is not none else target.schema -%}
    {%- set suffix = env_var('DBT_SCHEMA_SUFFIX', '') | trim -%}
    {{ base }}{% if suffix %}_{{ suffix }}{% endif %}
{%- endmacro %}
