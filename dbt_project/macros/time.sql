{#
    Time helpers. All timestamps in the warehouse are naive UTC.
#}

{#
    The run's as-of time as a UTC timestamp: the `as_of` var (ISO 8601) when one is given (unit
    tests, ad-hoc runs), else the night's row in `raw_meta.night`, which the night writes before
    extracting. Reading it from a table keeps `--vars` unchanged from night to night, so dbt does
    not re-parse the whole project every night.
#}
{% macro as_of_timestamp() -%}
    {%- set raw = var('as_of') -%}
    {%- if raw -%}
        {%- set parsed = modules.datetime.datetime.fromisoformat(raw | replace('Z', '+00:00')) -%}
        {%- if parsed.tzinfo is not none -%}
            {%- set parsed = parsed.astimezone(modules.pytz.utc).replace(tzinfo=none) -%}
        {%- endif -%}
        cast('{{ parsed.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp)
    {%- else -%}
        {#- named, not source()d: a parse-time dependency would make every unit test give it -#}
        (select max(as_of) from raw_meta.night)
    {%- endif -%}
{%- endmacro %}

{# A source instant as text (Salesforce `...+0000`, Marketo `...Z`) -> UTC timestamp. #}
{% macro parse_instant(expression) -%}
    (cast({{ expression }} as timestamptz) at time zone 'UTC')
{%- endmacro %}

{# A naive local wall-clock timestamp in time zone `tz` -> UTC timestamp (DST aware). #}
{% macro local_to_utc(local_timestamp, tz) -%}
    {{ return(adapter.dispatch('local_to_utc', 'leadflow')(local_timestamp, tz)) }}
{%- endmacro %}

{% macro default__local_to_utc(local_timestamp, tz) -%}
    (({{ local_timestamp }} at time zone {{ tz }}) at time zone 'UTC')
{%- endmacro %}

{# A UTC timestamp -> the naive wall-clock timestamp in time zone `tz`. #}
{% macro utc_to_local(utc_timestamp, tz) -%}
    {{ return(adapter.dispatch('utc_to_local', 'leadflow')(utc_timestamp, tz)) }}
{%- endmacro %}

{% macro default__utc_to_local(utc_timestamp, tz) -%}
    (({{ utc_timestamp }} at time zone 'UTC') at time zone {{ tz }})
{%- endmacro %}

{# Seconds since the epoch, for exact minute arithmetic. #}
{% macro epoch_seconds(expression) -%}
    {{ return(adapter.dispatch('epoch_seconds', 'leadflow')(expression)) }}
{%- endmacro %}

{% macro default__epoch_seconds(expression) -%}
    extract(epoch from {{ expression }})
{%- endmacro %}

{% macro duckdb__epoch_seconds(expression) -%}
    epoch({{ expression }})
{%- endmacro %}

{# Minutes from `start_at` to `stop_at` (fractional; negative when stop is earlier). #}
{% macro minutes_between(start_at, stop_at) -%}
    cast(({{ epoch_seconds(stop_at) }} - {{ epoch_seconds(start_at) }}) / 60.0 as double precision)
{%- endmacro %}

{# The IANA time-zone names the database knows. #}
{% macro known_time_zones() -%}
    {{ return(adapter.dispatch('known_time_zones', 'leadflow')()) }}
{%- endmacro %}

{% macro default__known_time_zones() -%}
    (select name as time_zone from pg_timezone_names)
{%- endmacro %}

{% macro duckdb__known_time_zones() -%}
    (select name as time_zone from pg_timezone_names())
{%- endmacro %}
