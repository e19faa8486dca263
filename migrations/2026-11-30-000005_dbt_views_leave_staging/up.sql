-- dbt's staging views now live in their own schema, `stg` (dbt/dbt_project.yml),
-- so that the pipeline's schema `staging` holds only the landing tables. A view
-- that an earlier dbt build left here would go on depending on
-- staging.sales_events (and block a later migration of its columns): drop it.
-- dbt recreates it as stg.stg_sales_events on its next build.
drop view if exists staging.stg_sales_events;
