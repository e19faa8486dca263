{# Fails when the model is empty: a build that produced nothing is broken. #}
{% test at_least_one_row(model) %}
select 1 as missing_rows
where not exists (select 1 from {{ model }})
{% endtest %}
