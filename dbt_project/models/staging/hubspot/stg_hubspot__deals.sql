{%- set columns %}
    {{ json_text('id') }} as deal_id,
    {{ json_text('properties') }} as properties,
    {{ parse_instant(json_text('createdAt')) }} as created_at,
    {{ parse_instant(json_text('updatedAt')) }} as updated_at,
    coalesce(cast({{ json_text('archived') }} as boolean), false) as is_archived,
    {{ parse_instant(json_text('archivedAt')) }} as archived_at
{%- endset %}

{{ staged(source('hubspot', 'deals'), columns=columns) }}
