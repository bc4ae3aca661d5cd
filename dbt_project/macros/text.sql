{# Trim white space (spaces, tabs, line breaks, no-break spaces) from both ends. #}
{% macro clean_text(expression) -%}
    {{ return(adapter.dispatch('clean_text', 'leadflow')(expression)) }}
{%- endmacro %}

{% macro default__clean_text(expression) -%}
    trim(both ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(160) from {{ expression }})
{%- endmacro %}

{% macro duckdb__clean_text(expression) -%}
    trim({{ expression }}, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(160))
{%- endmacro %}

{# `blank(x)`: null, or only white space. #}
{% macro is_blank(expression) -%}
    ({{ expression }} is null or {{ clean_text(expression) }} = '')
{%- endmacro %}

{#
    A text field of a raw JSON payload, in the columns of a `staged` model (`_payload` there is
    each payload parsed once); no field (`none` or '', e.g. a role the org has no field for) is
    null text.
#}
{% macro json_text(field) -%}
    {%- if field -%}
        {{ return(adapter.dispatch('json_text', 'leadflow')(field)) }}
    {%- else -%}
        cast(null as {{ dbt.type_string() }})
    {%- endif -%}
{%- endmacro %}

{% macro default__json_text(field) -%}
    _payload ->> '{{ field | replace("'", "''") }}'
{%- endmacro %}

{# `duckdb__parsed_payload` reads the field names back from these references. #}
{% macro duckdb__json_text(field) -%}
    _payload."{{ field | replace('"', '""') }}"
{%- endmacro %}
