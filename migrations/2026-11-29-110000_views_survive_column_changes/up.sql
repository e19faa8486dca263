-- PostgreSQL refuses to change the type of a column that a view reads
-- ("cannot alter type of a column used by a view or rule"). Views over
-- staging (dbt's stg.stg_sales_events, a user's own) are common, so a
-- migration that widens a column would fail on every warehouse but a new
-- one. These two functions let such a migration set the views aside and put
-- them back, unchanged:
--
--   select staging.set_aside_views_on('staging.sales_events');
--   alter table staging.sales_events alter column ... type ...;
--   select staging.put_back_views();
--
-- Both run inside the migration's transaction: if anything fails, the views
-- were never dropped. Definitions, owners and grants are kept; a
-- materialized view cannot be re-created without re-running its query, so
-- one is refused with a message naming it.

create function staging.set_aside_views_on(target regclass) returns integer
language plpgsql as $$
declare
    blocking text;
    view_row record;
    set_aside integer;
begin
    create temporary table if not exists views_set_aside (
        depth       integer not null,
        schema_name name    not null,
        view_name   name    not null,
        definition  text    not null,
        owner       name    not null,
        acl         aclitem[]
    ) on commit drop;

    -- Every view that reads `target`, directly or through other views, with
    -- its depth: a view is put back only after those it reads.
    insert into views_set_aside
    with recursive dependents(oid, depth) as (
        select distinct rewrite.ev_class, 1
        from pg_depend dependency
        join pg_rewrite rewrite on rewrite.oid = dependency.objid
        where dependency.refobjid = target and rewrite.ev_class <> target
        union
        select distinct rewrite.ev_class, dependents.depth + 1
        from dependents
        join pg_depend dependency on dependency.refobjid = dependents.oid
        join pg_rewrite rewrite on rewrite.oid = dependency.objid
        where rewrite.ev_class <> dependents.oid
    )
    select max(dependents.depth), namespace.nspname, class.relname,
           pg_get_viewdef(class.oid), pg_get_userbyid(class.relowner), class.relacl
    from dependents
    join pg_class class on class.oid = dependents.oid
    join pg_namespace namespace on namespace.oid = class.relnamespace
    where class.relkind = 'v'
    group by class.oid, namespace.nspname, class.relname, class.relowner, class.relacl;

    select string_agg(format('%I.%I', namespace.nspname, class.relname), ', ') into blocking
    from pg_depend dependency
    join pg_rewrite rewrite on rewrite.oid = dependency.objid
    join pg_class class on class.oid = rewrite.ev_class
    join pg_namespace namespace on namespace.oid = class.relnamespace
    where dependency.refobjid = target and class.relkind = 'm';
    if blocking is not null then
        raise exception 'the materialized view(s) % read %, whose columns this migration '
            'changes: drop them, run the migration, then create them again', blocking, target;
    end if;

    for view_row in select * from views_set_aside order by depth desc loop
        execute format('drop view %I.%I', view_row.schema_name, view_row.view_name);
    end loop;
    select count(*) into set_aside from views_set_aside;
    return set_aside;
end
$$;

create function staging.put_back_views() returns integer
language plpgsql as $$
declare
    view_row record;
    grant_row record;
    put_back integer := 0;
begin
    if to_regclass('pg_temp.views_set_aside') is null then
        return 0;
    end if;
    for view_row in select * from views_set_aside order by depth loop
        execute format('create view %I.%I as %s',
                       view_row.schema_name, view_row.view_name, view_row.definition);
        execute format('alter view %I.%I owner to %I',
                       view_row.schema_name, view_row.view_name, view_row.owner);
        for grant_row in
            select privilege_type, grantee from aclexplode(view_row.acl)
            where grantee <> (select oid from pg_roles where rolname = view_row.owner)
        loop
            execute format('grant %s on %I.%I to %s',
                           grant_row.privilege_type, view_row.schema_name, view_row.view_name,
                           case when grant_row.grantee = 0 then 'public'
                                else quote_ident(pg_get_userbyid(grant_row.grantee)) end);
        end loop;
        put_back := put_back + 1;
    end loop;
    delete from views_set_aside;
    return put_back;
end
$$;
