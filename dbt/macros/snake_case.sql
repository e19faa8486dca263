{#
    A label as a column name: lower case, every run of other characters an
    underscore ("Office Supplies" gives office_supplies).
#}
{% macro snake_case(label) -%}
    {{ modules.re.sub('[^a-z0-9]+', '_', label | lower) | trim('_') }}
{%- endmacro %}
