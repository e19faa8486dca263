{{ config(unique_key='location_key') }}

-- One row per shipping location (country, state, city, postal code); type 1: region.
{{ type1_dimension(
    surrogate_key='location_key',
    business_key=['country', 'state', 'city', 'postal_code'],
    attributes=['region'],
) }}
