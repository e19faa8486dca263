-- The marts are views of the same facts: each mart's totals equal those of
-- the facts of the batches that mart has built. Returns a row per mart (and
-- fails) on any difference.
--
-- Each mart against the batches it has built, not all the facts: the marts
-- are built after fct_sales and one after the other, so a test that reads
-- them while a build runs sees the facts ahead of a mart. A build checks the
-- keys of the mart's untested batches (the order dates, or the customers, of
-- their facts) against all the facts of those keys: a mart recomputes a key
-- whole, and the keys it did not touch were checked by the builds that did;
-- the full test run (dbt test, DAG superstore_warehouse_full_tests) checks
-- every key again.
{%- set whole = tests_whole_warehouse() %}
{%- set checks = [
    {'mart': 'daily_sales', 'key': 'order_date', 'fact_key': 'order_date_key',
     'sales': 'sales', 'profit': 'profit', 'units': 'units'},
    {'mart': 'category_profit_pivot', 'key': 'order_date', 'fact_key': 'order_date_key',
     'sales': none, 'profit': 'total_profit', 'units': none},
    {'mart': 'customer_summary', 'key': hash_key(['customer_id']), 'fact_key': 'customer_key',
     'sales': 'lifetime_sales', 'profit': 'lifetime_profit', 'units': none},
] %}
{%- set marts = {
    'daily_sales': ref('daily_sales'),
    'category_profit_pivot': ref('category_profit_pivot'),
    'customer_summary': ref('customer_summary'),
} %}
with
{%- for check in checks %}
{%- if not whole %}

{{ check.mart }}_keys as (

    select distinct {{ check.fact_key }} as fact_key
    from {{ ref('fct_sales') }}
    where ingested_at = any(array({{ batches_untested(check.mart) | indent(8) }}))

),
{%- endif %}

{{ check.mart }}_facts as (

    select
        sum(sales_amount) as sales,
        sum(profit_amount) as profit,
        sum(quantity) as units
    from {{ ref('fct_sales') }}
    where ingested_at in (
        {{ batches_built_by([check.mart]) | indent(8) }}
    )
    {%- if not whole %}
        and {{ check.fact_key }} in (select fact_key from {{ check.mart }}_keys)
    {%- endif %}

),

{{ check.mart }}_totals as (

    select
        {{ 'sum(' ~ check.sales ~ ')' if check.sales else 'null::numeric' }} as sales,
        sum({{ check.profit }}) as profit,
        {{ 'sum(' ~ check.units ~ ')' if check.units else 'null::bigint' }} as units
    from {{ marts[check.mart] }}
    {%- if not whole %}
    where {{ check.key }} in (select fact_key from {{ check.mart }}_keys)
    {%- endif %}

),
{%- endfor %}

differences as (
{%- for check in checks %}
    {% if not loop.first %}union all
    {% endif -%}
    select
        '{{ check.mart }}' as mart,
        facts.sales as fact_sales,
        totals.sales as mart_sales,
        facts.profit as fact_profit,
        totals.profit as mart_profit,
        facts.units as fact_units,
        totals.units as mart_units
    from {{ check.mart }}_facts as facts
    cross join {{ check.mart }}_totals as totals
    where facts.profit is distinct from totals.profit
        {%- if check.sales %}
        or facts.sales is distinct from totals.sales
        {%- endif %}
        {%- if check.units %}
        or facts.units is distinct from totals.units
        {%- endif %}
{%- endfor %}

)

select * from differences
