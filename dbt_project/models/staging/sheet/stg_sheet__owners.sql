{%- set columns %}
    {{ json_text('email') }} as email,
    {{ parse_instant(json_text('_night')) }} as seen_at,
    {{ json_text('name') }} as owner_name,
    {{ json_text('team') }} as owner_team,
    {{ json_text('time_zone') }} as time_zone,
    cast({{ json_text('active') }} as boolean) as is_active
{%- endset %}

{{ staged(source('sheet', 'owners'), columns=columns) }}
