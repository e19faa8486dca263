drop function staging.insert_sales_events(text);
