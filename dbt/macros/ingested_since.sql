{#
    The incremental filter of the core models: on an incremental run, only
    rows ingested since the newest one already in the model, minus the
    lookback (var lookback_minutes), so that a batch whose transaction
    committed after a later one is still picked up. Full builds read all.
#}
{% macro ingested_since(column='ingested_at', target_column='last_ingested_at') -%}
    {%- if is_incremental() -%}
    where {{ column }} >= (
        select coalesce(max({{ target_column }}), '-infinity'::timestamptz)
        from {{ this }}
    ) - interval '{{ var("lookback_minutes") }} minutes'
    {%- endif -%}
{%- endmacro %}
