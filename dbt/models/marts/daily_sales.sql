{{ config(unique_key='order_date') }}

-- Sales per order date, region and category. An incremental build
-- recomputes whole dates: those of its new facts, and those holding facts of
-- a product whose category or a location whose region changed.
with sales as (

    select * from {{ ref('fct_sales') }}
{%- if is_incremental() %}
    where order_date_key = any(array(
        {{ order_dates_to_recompute(['dim_product', 'dim_location']) | indent(8) }}
    ))
{%- endif %}

),

locations as (

    select * from {{ ref('dim_location') }}

),

products as (

    select * from {{ ref('dim_product') }}

),

final as (

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

)

select * from final
