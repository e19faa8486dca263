{#
    A surrogate key: md5 over the business key columns, each cast to text
    and separated, with NULL spelled out so that (NULL, 'a') and ('a', NULL)
    differ. Deterministic, so facts compute their foreign keys without a
    lookup and a rebuild gives the same keys.
#}
{% macro hash_key(columns) -%}
    md5(concat_ws('|'
    {%- for column in columns %}, coalesce(cast({{ column }} as text), '<null>'){% endfor -%}
    ))
{%- endmacro %}
