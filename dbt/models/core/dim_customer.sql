{{ config(unique_key='customer_key') }}

-- One row per customer; type 1: name and segment of the latest event.
{{ type1_dimension(
    surrogate_key='customer_key',
    business_key=['customer_id'],
    attributes=['customer_name', 'segment'],
) }}
