{%- set columns %}
    {{ json_text('id') }} as history_entry_id,
    {{ json_text('objectId') }} as object_id,
    {{ json_text('property') }} as property_name,
    {{ json_text('value') }} as property_value,
    {{ parse_instant(json_text('timestamp')) }} as changed_at,
    {{ json_text('sourceType') }} as source_type,
    {{ json_text('sourceId') }} as source_id,
    {{ json_text('updatedByUserId') }} as updated_by_user_id
{%- endset %}

{{ staged(source('hubspot', 'deals_history'), columns=columns) }}
