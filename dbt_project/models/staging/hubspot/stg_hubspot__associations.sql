{%- set columns %}
    {{ json_text('id') }} as association_id,
    {{ json_text('fromObjectType') }} as from_object_type,
    {{ json_text('fromId') }} as from_id,
    {{ json_text('toObjectType') }} as to_object_type,
    {{ json_text('toId') }} as to_id,
    cast({{ json_text('associationTypeId') }} as integer) as association_type_id,
    {{ parse_instant(json_text('createdAt')) }} as created_at
{%- endset %}

{{ staged(source('hubspot', 'associations'), columns=columns) }}
