-- meta: the attributes the marts group by; their changes make the marts
-- recompute the dates concerned (macro note_dimension_changes).
{{ config(
    unique_key='location_key',
    meta={'business_key': ['country', 'state', 'city', 'postal_code'], 'mart_attributes': ['region']},
) }}

-- One row per shipping location (country, state, city, postal code); type 1: region.
{{ type1_dimension(
    surrogate_key='location_key',
    business_key=['country', 'state', 'city', 'postal_code'],
    attributes=['region'],
) }}
