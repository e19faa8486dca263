{{ config(unique_key='order_date') }}

-- Sales per order date, region and category, and what came back of them:
-- returns count on their order's date, region and category, so that net
-- sales (sales less refunds) answer "what did that day's orders keep". An
-- incremental build recomputes whole dates: those of its new sales and
-- returns, and those holding facts of a product whose category or a
-- location whose region changed.
{%- set dates_to_recompute %}
    {{ order_dates_to_recompute(['dim_product', 'dim_location'], with_returns=true) }}
{%- endset %}
with sales as (

    select * from {{ ref('fct_sales') }}
{%- if is_incremental() %}
    where order_date_key = any(array(
        {{ dates_to_recompute | indent(8) }}
    ))
{%- endif %}

),

returns as (

    select * from {{ ref('fct_returns') }}
{%- if is_incremental() %}
    where order_date_key = any(array(
        {{ dates_to_recompute | indent(8) }}
    ))
{%- endif %}

),

locations as (

    select * from {{ ref('dim_location') }}

),

products as (

    select * from {{ ref('dim_product') }}

),

sold as (

    select
        sales.order_date_key as order_date,
        locations.region,
        products.category,
        count(distinct sales.order_id) as order_count,
        sum(sales.quantity) as units,
        sum(sales.sales_amount) as sales,
        sum(sales.profit_amount) as profit
    from sales
    inner join locations using (location_key)
    inner join products using (product_key)
    group by
        sales.order_date_key,
        locations.region,
        products.category

),

returned as (

    select
        returns.order_date_key as order_date,
        locations.region,
        products.category,
        sum(returns.quantity) as returned_units,
        sum(returns.refund_amount) as refunds
    from returns
    inner join locations using (location_key)
    inner join products using (product_key)
    group by
        returns.order_date_key,
        locations.region,
        products.category

),

-- Every return's group has its sale: the left join loses nothing.
final as (

    select
        sold.order_date,
        sold.region,
        sold.category,
        sold.order_count,
        sold.units,
        sold.sales,
        sold.profit,
        coalesce(returned.returned_units, 0) as returned_units,
        coalesce(returned.refunds, 0) as refunds,
        sold.sales - coalesce(returned.refunds, 0) as net_sales
    from sold
    left join returned using (order_date, region, category)

)

select * from final
