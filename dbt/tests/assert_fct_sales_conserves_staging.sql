-- Conservation: the facts hold exactly the staged events, to the cent and
-- the unit. Returns a row (and fails) on any difference.
with staged as (

    select
        count(*) as events,
        sum(sales) as sales,
        sum(quantity) as units
    from {{ source('staging', 'sales_events') }}

),

facts as (

    select
        count(*) as events,
        sum(sales_amount) as sales,
        sum(quantity) as units
    from {{ ref('fct_sales') }}

)

select
    staged.events as staged_events,
    facts.events as fact_rows,
    staged.sales as staged_sales,
    facts.sales as fact_sales,
    staged.units as staged_units,
    facts.units as fact_units
from staged
cross join facts
where staged.events is distinct from facts.events
    or staged.sales is distinct from facts.sales
    or staged.units is distinct from facts.units
