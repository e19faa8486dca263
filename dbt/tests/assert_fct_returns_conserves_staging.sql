-- Conservation of returns: the facts hold exactly the staged returns of the
-- batches fct_returns has built, to the cent and the unit (a return whose
-- line the facts could not find would be missing here). Over the untested
-- batches in a build, all of them in a full test run, as for the sales
-- (assert_fct_sales_conserves_staging.sql).
{%- set whole = tests_whole_warehouse() %}
{%- set batches = batches_built_by(['fct_returns']) if whole else batches_untested('fct_returns') %}
with batches as (

    select committed_at from ({{ batches | indent(4) }}) as built

),

staged as (

    select count(*) as returns, sum(refund) as refunds, sum(quantity) as units
    from {{ source('staging', 'return_events') }}
    where {{ ingested_in('ingested_at', 'batches', whole) }}

),

facts as (

    select count(*) as returns, sum(refund_amount) as refunds, sum(quantity) as units
    from {{ ref('fct_returns') }}
    where {{ ingested_in('ingested_at', 'batches', whole) }}

)

select staged.*, facts.returns as fact_returns, facts.refunds as fact_refunds, facts.units as fact_units
from staged
cross join facts
where staged.returns is distinct from facts.returns
    or staged.refunds is distinct from facts.refunds
    or staged.units is distinct from facts.units
