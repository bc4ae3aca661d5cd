{%- set columns %}
    {{ json_text('Id') }} as user_id,
    {{ json_text('Name') }} as user_name,
    {{ json_text('Email') }} as email,
    cast({{ json_text('IsActive') }} as boolean) as is_active,
    {{ json_text('Department') }} as department,
    {{ json_text('TimeZoneSidKey') }} as time_zone,
    {{ parse_instant(json_text('CreatedDate')) }} as created_at,
    {{ parse_instant(json_text('SystemModstamp')) }} as system_modstamp
{%- endset %}

{{ staged(source('salesforce', 'user'), columns=columns) }}
