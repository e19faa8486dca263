-- The marts are views of the same facts: their totals must agree.
with facts as (

    select
        sum(sales_amount) as sales,
        sum(profit_amount) as profit,
        sum(quantity) as units
    from {{ ref('fct_sales') }}

),

daily as (

    select
        sum(sales) as sales,
        sum(profit) as profit,
        sum(units) as units
    from {{ ref('daily_sales') }}

),

pivot as (

    select sum(total_profit) as profit
    from {{ ref('category_profit_pivot') }}

),

customers as (

    select
        sum(lifetime_sales) as sales,
        sum(lifetime_profit) as profit
    from {{ ref('customer_summary') }}

)

select *
from facts, daily, pivot, customers
where facts.sales is distinct from daily.sales
    or facts.profit is distinct from daily.profit
    or facts.units is distinct from daily.units
    or facts.profit is distinct from pivot.profit
    or facts.sales is distinct from customers.sales
    or facts.profit is distinct from customers.profit
