{%- set columns %}
    {{ json_text('id') }} as owner_id,
    {{ json_text('userId') }} as user_id,
    {{ json_text('email') }} as email,
    {{ json_text('firstName') }} as first_name,
    {{ json_text('lastName') }} as last_name,
    {{ json_text('teams') }} as teams,
    coalesce(cast({{ json_text('archived') }} as boolean), false) as is_archived,
    {{ parse_instant(json_text('createdAt')) }} as created_at,
    {{ parse_instant(json_text('updatedAt')) }} as updated_at
{%- endset %}

{{ staged(source('hubspot', 'owners'), columns=columns) }}
