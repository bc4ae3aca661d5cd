{#
    When a snapshot says a row was deleted: the night's as-of, not the clock of the machine (a
    sheet's history is in nights, and a replayed or late night must date what it saw to its own
    night). dbt's snapshots ask `snapshot_get_time()` for it; these are the adapters' versions.
#}
{% macro duckdb__snapshot_get_time() -%}
    {{ as_of_timestamp() }}
{%- endmacro %}

{% macro postgres__snapshot_get_time() -%}
    {{ as_of_timestamp() }}
{%- endmacro %}
