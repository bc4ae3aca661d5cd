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
    {{ json_text('updatedByUserId') }} as updated_by_user_id
{%- endmacro %}
