{{ config(unique_key='order_date') }}

-- Profit per order date, one column per category present at build time,
-- named after its label in snake_case ("Office Supplies" gives
-- office_supplies_profit), plus the total. An incremental build recomputes
-- the dates of its new facts and those holding facts of a product whose
-- category changed; a category new to the warehouse changes the columns,
-- which an incremental build refuses (on_schema_change: fail): build it
-- with --full-refresh.
{%- set categories_query %}
    select distinct category from {{ ref('dim_product') }} order by category
{%- endset %}
{%- set categories = run_query(categories_query).columns[0].values() if execute else [] %}

with sales as (

    select * from {{ ref('fct_sales') }}
{%- if is_incremental() %}
    where order_date_key = any(array(
        {{ order_dates_to_recompute(['dim_product']) | indent(8) }}
    ))
{%- endif %}

),

products as (

    select * from {{ ref('dim_product') }}

),

final as (

    select
        sales.order_date_key as order_date,
        {%- for category in categories %}
        sum(case when products.category = '{{ category }}' then sales.profit_amount else 0 end) as {{ adapter.quote(snake_case(category) ~ '_profit') }},
        {%- endfor %}
        sum(sales.profit_amount) as total_profit
    from sales
    inner join products using (product_key)
    group by
        sales.order_date_key

)

select * from final
