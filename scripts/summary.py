"""Prints what the platform holds: staging's accounting and a short mart summary,
over imported and streamed events alike."""

import os

import psycopg


def main() -> None:
    with psycopg.connect(os.environ["DATABASE_URL"]) as db:
        rows = lambda sql: db.execute(sql).fetchall()  # noqa: E731
        [(events, sales)] = rows("select count(*), coalesce(sum(sales), 0) from staging.sales_events")
        [(batches, n_in, inserted, rejected, duplicates, held)] = rows(
            "select count(*), coalesce(sum(n_in), 0), coalesce(sum(n_inserted), 0), "
            "coalesce(sum(n_rejected), 0), coalesce(sum(n_duplicate), 0), coalesce(sum(n_held), 0) "
            "from staging.ingest_batches"
        )
        [(returns, refunds)] = rows("select count(*), coalesce(sum(refund), 0) from staging.return_events")
        # Imported lines have UUIDv5 ids (dataset and Row ID); generated events random v4 ones.
        [(imported,)] = rows("select count(*) from staging.sales_events where substr(event_id::text, 15, 1) = '5'")
        print(f"\nstaging: {events:,} sale events, {sales:,.2f} USD")
        print(f"  {imported:,} imported from files, {events - imported:,} streamed")
        print(f"  and {returns:,} returns, {refunds:,.2f} USD refunded")
        print(f"  {batches:,} batches: consumed {n_in:,} = inserted {inserted:,} + rejected {rejected:,} "
              f"+ duplicates {duplicates:,} + held {held:,}")
        for reason, n in rows("select reason, count(*) from staging.rejected_events group by 1 order by 2 desc, 1"):
            print(f"  rejected {reason:<30} {n:>8,}")

        print("\nmarts.daily_sales: categories by profit")
        for category, profit, sales in rows(
            "select category, sum(profit), sum(sales) from marts.daily_sales group by category order by 2 desc"
        ):
            print(f"  {category:<16} profit {profit:>16,.2f}   sales {sales:>16,.2f}")
        print("\nmarts.daily_sales: sales by year, and net of refunds")
        for year, sales, profit, net in rows(
            "select extract(year from order_date)::int, sum(sales), sum(profit), sum(net_sales) "
            "from marts.daily_sales group by 1 order by 1"
        ):
            print(f"  {year}  sales {sales:>16,.2f}   profit {profit:>14,.2f}   net sales {net:>16,.2f}")
        print("\nmarts.return_rates: sub-categories returned most")
        for category, sub_category, rate, refunded in rows(
            "select category, sub_category, sum(returned_order_count)::numeric / sum(order_count), sum(refunds) "
            "from marts.return_rates group by 1, 2 order by 3 desc, 2 limit 5"
        ):
            print(f"  {sub_category:<12} ({category:<15}) {rate:>7.2%} of orders   refunds {refunded:>14,.2f}")
        print("\nmarts.daily_sales: sales by region")
        for region, sales, orders in rows(
            "select region, sum(sales), sum(order_count) from marts.daily_sales group by region order by 2 desc"
        ):
            print(f"  {region:<8} sales {sales:>16,.2f}   orders {orders:>10,}")
        print("\nmarts.customer_summary: top customers by lifetime sales")
        for name, segment, orders, lifetime in rows(
            "select customer_name, segment, order_count, lifetime_sales from marts.customer_summary "
            "order by lifetime_sales desc limit 5"
        ):
            print(f"  {name:<28} {segment:<12} {orders:>4} orders   {lifetime:>14,.2f}")


if __name__ == "__main__":
    main()
