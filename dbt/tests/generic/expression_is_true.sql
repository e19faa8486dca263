{# Fails on every row where the boolean SQL expression does not hold. #}
{% test expression_is_true(model, expression) %}
select *
from {{ model }}
where not ({{ expression }})
{% endtest %}
