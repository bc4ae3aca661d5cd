{#
    The org's lead fields of `system` by role, from the seed `lead_fields` (role -> the field's
    API name, '' when the org has none), read when the model runs. The shipped seed has a row per
    system; an org's own file (`role,field`, no `system` column) is its system's. While parsing,
    or where the seed is not loaded yet (sqlfluff's compile), every role is absent.
    `lead_field_config(fields)` is the mapping as one text: staging stores it in `_config`, and a
    change re-stages every lead.
#}
{% macro lead_fields(system) %}
    {%- set seed = ref('lead_fields') -%}
    {%- set fields = {} -%}
    {%- if execute and load_relation(seed) is not none -%}
        {%- set columns = adapter.get_columns_in_relation(seed) | map(attribute='name') | list -%}
        {%- set own = " where system = '" ~ system ~ "'" if 'system' in columns else '' -%}
        {%- for row in run_query('select role, field from ' ~ seed.render() ~ own ~ ' order by role').rows -%}
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
