-- meta: the attributes the marts group by; their changes make the marts
-- recompute the dates concerned (macro note_dimension_changes).
{{ config(
    unique_key='product_key',
    meta={'business_key': ['product_id'], 'mart_attributes': ['category']},
) }}

-- One row per product; type 1: name, category and sub-category of the latest event.
{{ type1_dimension(
    surrogate_key='product_key',
    business_key=['product_id'],
    attributes=['product_name', 'category', 'sub_category'],
) }}
