{#
    The columns of a staged HubSpot CRM record (contacts, deals, engagements): its id as `key`,
    its properties as HubSpot sends them (JSON text: which ones the lifecycle reads is the org's
    configuration), its creation and last change, and whether it is archived.
#}
{% macro hubspot_record_columns(key) -%}
    {{ json_text('id') }} as {{ key }},
    {{ json_text('properties') }} as properties,
    {{ parse_instant(json_text('createdAt')) }} as created_at,
    {{ parse_instant(json_text('updatedAt')) }} as updated_at,
    coalesce(cast({{ json_text('archived') }} as boolean), false) as is_archived,
    {{ parse_instant(json_text('archivedAt')) }} as archived_at
{%- endmacro %}

{# The columns of a staged HubSpot property history entry (contacts' or deals'). #}
{% macro hubspot_history_columns() -%}
    {{ json_text('id') }} as history_entry_id,
    {{ json_text('objectId') }} as object_id,
    {{ json_text('property') }} as property_name,
    {{ json_text('value') }} as property_value,
    {{ parse_instant(json_text('timestamp')) }} as changed_at,
    {{ json_text('sourceType') }} as source_type,
    {{ json_text('sourceId') }} as source_id,
    {{ json_text('updatedByUserId') }} as updated_by_user_id,
    cast({{ json_text('position') }} as integer) as history_position
{%- endmacro %}

{# A property of a staged HubSpot record's `properties` (JSON text), as text; null for no name. #}
{% macro hubspot_property(name, properties='properties') -%}
    {%- if not name -%}
        cast(null as {{ dbt.type_string() }})
    {%- else -%}
        {{ return(adapter.dispatch('hubspot_property', 'leadflow')(name, properties)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__hubspot_property(name, properties) -%}
    (cast({{ properties }} as jsonb) ->> '{{ name | replace("'", "''") }}')
{%- endmacro %}

{% macro duckdb__hubspot_property(name, properties) -%}
    json_extract_string({{ properties }}, '$."{{ name | replace("'", "''") | replace('"', '') }}"')
{%- endmacro %}

{#
    Each record's value of each of `properties` as of the as-of time, from the history model
    `history` (the latest entry at or before it; ties by position), pivoted to one row per record:
    `object_id`, and per property `<column>` (its value, '' for a cleared one, null when all its
    entries are later: HubSpot writes an entry for every value set, so it was not set yet) and
    `<column>_known` (whether the history holds an entry for it at all). `properties` maps
    column -> property name (a None name gives no value, unknown).
#}
{% macro hubspot_values_at_as_of(history, properties) -%}
    {%- set names = [] %}
    {%- for column, name in properties.items() if name %}{% do names.append(name) %}{% endfor %}
    select
        object_id,
        {%- for column, name in properties.items() %}
            {%- if name %}
                max(case when property_name = '{{ name }}' and recency = 1 then property_value end) as {{ column }},
                count(case when property_name = '{{ name }}' then 1 end) > 0 as {{ column }}_known
            {%- else %}
                cast(null as {{ dbt.type_string() }}) as {{ column }},
                false as {{ column }}_known
            {%- endif %}
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from (
        select
            object_id,
            property_name,
            property_value,
            case
                when changed_at <= {{ as_of_timestamp() }}
                    then row_number() over (
                        partition by object_id, property_name, changed_at <= {{ as_of_timestamp() }}
                        order by changed_at desc, history_position desc
                    )
            end as recency
        from {{ history }}
        where property_name in ('{{ names | join("', '") if names else '' }}')
    ) as entries
    group by object_id
{%- endmacro %}

{# The elements of a JSON array held as text or JSON, one row each (a set-returning select
   expression: `select {{ json_elements('x') }} as element from ...`); read each with `->>`. #}
{% macro json_elements(expression) -%}
    {{ return(adapter.dispatch('json_elements', 'leadflow')(expression)) }}
{%- endmacro %}

{% macro default__json_elements(expression) -%}
    jsonb_array_elements(cast({{ expression }} as jsonb))
{%- endmacro %}

{% macro duckdb__json_elements(expression) -%}
    unnest(cast(cast({{ expression }} as json) as json[]))
{%- endmacro %}

{# Whether a staged HubSpot record (`relation`: its alias, or '' unqualified) was archived at or
   before the as-of: one archived later counts as not archived yet. #}
{% macro hubspot_archived_by_as_of(relation='') -%}
    {%- set p = relation ~ '.' if relation else '' -%}
    ({{ p }}is_archived and coalesce({{ p }}archived_at, {{ p }}updated_at) <= {{ as_of_timestamp() }})
{%- endmacro %}
