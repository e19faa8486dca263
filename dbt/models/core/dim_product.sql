{{ config(unique_key='product_key') }}

-- One row per product; type 1: name, category and sub-category of the latest event.
{{ type1_dimension(
    surrogate_key='product_key',
    business_key=['product_id'],
    attributes=['product_name', 'category', 'sub_category'],
) }}
