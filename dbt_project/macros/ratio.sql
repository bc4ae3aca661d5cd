{# num / den as a double, null when the denominator is 0. #}
{% macro safe_ratio(numerator, denominator) -%}
    case when {{ denominator }} > 0 then cast({{ numerator }} as double precision) / {{ denominator }} end
{%- endmacro %}
