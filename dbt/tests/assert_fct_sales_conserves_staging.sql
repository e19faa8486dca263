-- Conservation: the facts hold exactly the staged events of the batches
-- fct_sales has built, to the cent and the unit. Returns a row (and fails)
-- on any difference.
--
-- Over those batches, not all of staging, because the pipeline keeps staging
-- while a build or this test runs: a batch committed after fct_sales claimed
-- its batches is not missing. A build checks the batches no build has
-- tested yet (a fact's ingested_at is its batch's committed_at, and staging
-- is append-only): conservation per batch, over every batch in turn, is
-- conservation of the whole; the full test run (dbt test, DAG
-- superstore_warehouse_full_tests) checks them all again, which catches a
-- fact changed or lost after its build.
{%- set whole = tests_whole_warehouse() %}
{%- set batches = batches_built_by(['fct_sales']) if whole else batches_untested('fct_sales') %}
with batches as (

    select committed_at from ({{ batches | indent(4) }}) as built

),

staged as (

    select
        count(*) as events,
        sum(sales) as sales,
        sum(quantity) as units
    from {{ source('staging', 'sales_events') }}
    where {{ ingested_in('ingested_at', 'batches', whole) }}

),

facts as (

    select
        count(*) as events,
        sum(sales_amount) as sales,
        sum(quantity) as units
    from {{ ref('fct_sales') }}
    where {{ ingested_in('ingested_at', 'batches', whole) }}

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
