-- The order aggregate's invariants, checked again on the facts: no line
-- (an order's product) has more units returned than sold, or more refunded
-- than its sales. Returns a row (and fails) for each line that breaks one.
-- Over every returned line, not only the new batches': a line's returns may
-- span batches, and returns are few.
with returned as (

    select order_id, product_key, sum(quantity) as units, sum(refund_amount) as refunds
    from {{ ref('fct_returns') }}
    group by order_id, product_key

),

sold as (

    select sales.order_id, sales.product_key, sum(sales.quantity) as units, sum(sales.sales_amount) as sales
    from {{ ref('fct_sales') }} as sales
    where sales.order_id = any(array(select order_id from returned))
    group by sales.order_id, sales.product_key

)

select returned.*, sold.units as sold_units, sold.sales as sold_sales
from returned
left join sold using (order_id, product_key)
where sold.units is null
    or returned.units > sold.units
    or returned.refunds > sold.sales
