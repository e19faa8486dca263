{{ config(unique_key='customer_id') }}

-- One row per customer: who they are, when they bought, what they brought in.
-- An incremental build recomputes the customers of its new facts (a
-- customer's name or segment changes only with an event of theirs).
with sales as (

    select * from {{ ref('fct_sales') }}
{%- if is_incremental() %}
    where customer_key = any(array(
        select distinct customer_key
        from {{ ref('fct_sales') }}
        where ingested_at = any(array(select committed_at from claimed_batches))
    ))
{%- endif %}

),

customers as (

    select * from {{ ref('dim_customer') }}

),

per_customer as (

    select
        customer_key,
        min(order_date_key) as first_order_date,
        max(order_date_key) as last_order_date,
        count(distinct order_id) as order_count,
        sum(sales_amount) as lifetime_sales,
        sum(profit_amount) as lifetime_profit
    from sales
    group by
        customer_key

),

final as (

    select
        customers.customer_id,
        customers.customer_name,
        customers.segment,
        per_customer.first_order_date,
        per_customer.last_order_date,
        per_customer.order_count,
        per_customer.lifetime_sales,
        per_customer.lifetime_profit
    from customers
    inner join per_customer using (customer_key)

)

select * from final
