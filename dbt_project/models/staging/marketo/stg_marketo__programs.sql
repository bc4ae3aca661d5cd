{%- set columns %}
    cast({{ json_text('id') }} as bigint) as program_id,
    {{ json_text('name') }} as program_name,
    {{ json_text('type') }} as program_type,
    {{ json_text('channel') }} as channel,
    {{ parse_instant(json_text('createdAt')) }} as created_at,
    {{ parse_instant(json_text('updatedAt')) }} as updated_at
{%- endset %}

{{ staged(source('marketo', 'programs'), columns=columns) }}
