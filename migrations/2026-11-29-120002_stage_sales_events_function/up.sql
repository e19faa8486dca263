-- How the pipeline tells a refused row from a transient failure. Diesel does
-- not expose an error's SQLSTATE, and the answer depends on it: a data error
-- (class 22, a bad value; class 23, a broken constraint) quarantines the one
-- row that causes it, while anything else (a lock or statement timeout, a
-- read-only or full database, a lost connection) is retried whole and
-- quarantines nothing. So rows whose COPY failed are inserted again through
-- this function, which re-raises any error with its SQLSTATE in brackets at
-- the start of the message, e.g. "[22P05] unsupported Unicode escape
-- sequence". The rows arrive as JSON text and are parsed here, inside the
-- handler, so that a value JSON cannot carry is reported the same way.
-- (A statement timeout or a cancel, 57014, cannot be caught in PL/pgSQL; it
-- arrives untagged, and is retried like any untagged error.)
create function staging.insert_sales_events(rows text) returns bigint
language plpgsql as $$
declare
    inserted bigint;
    error_detail text;
    error_constraint text;
begin
    insert into staging.sales_events
    select * from jsonb_populate_recordset(null::staging.sales_events, rows::jsonb)
    on conflict (event_id) do nothing;
    get diagnostics inserted = row_count;
    return inserted;
exception when others then
    get stacked diagnostics
        error_detail = pg_exception_detail,
        error_constraint = constraint_name;
    raise exception using
        errcode = sqlstate,
        message = format('[%s] %s', sqlstate, sqlerrm),
        detail = coalesce(error_detail, ''),
        constraint = coalesce(error_constraint, '');
end
$$;
