{#
    Post-hook of the incremental models. A full build makes the table anew,
    without planner statistics, until autovacuum's next pass analyzes it: a
    minute or more on millions of rows. An incremental build in that window
    is planned blind (at 10 million facts customer_summary took 110 s, and 1 s
    once fct_sales was analyzed). ANALYZE samples a fixed number of rows, so
    it costs about a second at any size; in the model's transaction, it sees
    the rows the build has just written.
#}
{% macro analyze_after_full_build() %}
    {%- if not is_incremental() %}
    analyze {{ this }}
    {%- endif %}
{% endmacro %}
