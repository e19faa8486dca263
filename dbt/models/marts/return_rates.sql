{{ config(unique_key='order_month') }}

-- How often orders come back, per month of the order date, category,
-- sub-category and region: the orders with a line in the group, those with
-- a return of such a line, their share, and the refunds. A returned order
-- counts in the groups of the lines it returned. An incremental build
-- recomputes whole months: those of its new sales and returns, and those
-- holding facts of a product or location whose grouping changed.
{%- set months_to_recompute %}
    select distinct cast(date_trunc('month', dates.order_date) as date)
    from (
        {{ order_dates_to_recompute(['dim_product', 'dim_location'], with_returns=true) | indent(8) }}
    ) as dates (order_date)
{%- endset %}
with sales as (

    select * from {{ ref('fct_sales') }}
{%- if is_incremental() %}
    where cast(date_trunc('month', order_date_key) as date) = any(array(
        {{ months_to_recompute | indent(8) }}
    ))
{%- endif %}

),

returns as (

    select * from {{ ref('fct_returns') }}
{%- if is_incremental() %}
    where cast(date_trunc('month', order_date_key) as date) = any(array(
        {{ months_to_recompute | indent(8) }}
    ))
{%- endif %}

),

locations as (

    select * from {{ ref('dim_location') }}

),

products as (

    select * from {{ ref('dim_product') }}

),

ordered as (

    select
        cast(date_trunc('month', sales.order_date_key) as date) as order_month,
        products.category,
        products.sub_category,
        locations.region,
        count(distinct sales.order_id) as order_count
    from sales
    inner join locations using (location_key)
    inner join products using (product_key)
    group by 1, 2, 3, 4

),

returned as (

    select
        cast(date_trunc('month', returns.order_date_key) as date) as order_month,
        products.category,
        products.sub_category,
        locations.region,
        count(distinct returns.order_id) as returned_order_count,
        sum(returns.quantity) as returned_units,
        sum(returns.refund_amount) as refunds
    from returns
    inner join locations using (location_key)
    inner join products using (product_key)
    group by 1, 2, 3, 4

),

final as (

    select
        ordered.order_month,
        ordered.category,
        ordered.sub_category,
        ordered.region,
        ordered.order_count,
        coalesce(returned.returned_order_count, 0) as returned_order_count,
        round(coalesce(returned.returned_order_count, 0)::numeric / ordered.order_count, 4)
            as return_rate,
        coalesce(returned.returned_units, 0) as returned_units,
        coalesce(returned.refunds, 0) as refunds
    from ordered
    left join returned using (order_month, category, sub_category, region)

)

select * from final
