{#
    The org's Lead fields by role, from the seed `lead_fields` (role -> API name, '' when the org
    has none), read when the model runs. While parsing, or where the seed is not loaded yet
    (sqlfluff's compile), every role is absent. `lead_field_config(fields)` is the mapping as
    one text: staging stores it in `_config`, and a change re-stages every lead.
#}
{% macro lead_fields() %}
    {%- set seed = ref('lead_fields') -%}
    {%- set fields = {} -%}
    {%- if execute and load_relation(seed) is not none -%}
        {%- for row in run_query('select role, field from ' ~ seed.render() ~ ' order by role').rows -%}
            {%- do fields.update({row.role: (row.field or '') | trim}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(fields) }}
{% endmacro %}

{% macro lead_field_config(fields) -%}
    {%- set parts = [] -%}
    {%- for role in fields | sort -%}{%- do parts.append(role ~ '=' ~ fields[role]) -%}{%- endfor -%}
    {{ return(parts | join(';') | replace("'", "''")) }}
{%- endmacro %}
