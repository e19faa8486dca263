{# Fails when the model is empty: a build that produced nothing is broken. #}
{% test at_least_one_row(model) %}
{#- A property of the whole table: never narrowed to the new batches. #}
{{ config(meta={'whole_table': true}) }}
select 1 as missing_rows
where not exists (select 1 from {{ model }})
{% endtest %}
