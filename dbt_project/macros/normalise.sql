{#
    Canonical spellings come from seeds (policy as data): `source_aliases` and
    `rejection_reason_aliases`. Join the seed on `lower(clean_text(value))`, then:
#}

{# The join key for an alias seed. #}
{% macro alias_key(expression) -%}
    lower({{ clean_text(expression) }})
{%- endmacro %}

{# Normalised source: canonical spelling, `Unknown` for blank and unknown tokens, else trimmed as is. #}
{% macro normalised_source(value, canonical) -%}
    case
        when {{ is_blank(value) }} then 'Unknown'
        else coalesce({{ canonical }}, {{ clean_text(value) }})
    end
{%- endmacro %}

{# Normalised rejection reason: canonical spelling, `Missing` when blank, else trimmed as is. #}
{% macro normalised_reason(value, canonical) -%}
    case
        when {{ is_blank(value) }} then 'Missing'
        else coalesce({{ canonical }}, {{ clean_text(value) }})
    end
{%- endmacro %}
