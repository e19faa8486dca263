-- Narrowing back to two decimals would round every value that has more:
-- refuse instead, naming how many rows would change.
do $$
declare
    finer bigint;
begin
    select count(*) into finer
    from staging.sales_events
    where sales <> round(sales, 2) or profit <> round(profit, 2) or discount <> round(discount, 2);
    if finer > 0 then
        raise exception 'staging.sales_events holds % rows with more than two decimals; '
            'narrowing to numeric(12,2) would round them', finer;
    end if;
end
$$;

select staging.set_aside_views_on('staging.sales_events');

alter table staging.sales_events
    alter column sales    type numeric(12,2),
    alter column profit   type numeric(12,2),
    alter column discount type numeric(4,2);

select staging.put_back_views();
