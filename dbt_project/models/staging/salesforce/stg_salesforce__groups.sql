{%- set columns %}
    {{ json_text('Id') }} as group_id,
    {{ json_text('Name') }} as group_name,
    {{ json_text('Type') }} as group_type,
    {{ parse_instant(json_text('CreatedDate')) }} as created_at,
    {{ parse_instant(json_text('SystemModstamp')) }} as system_modstamp
{%- endset %}

{{ staged(source('salesforce', 'group'), columns=columns) }}
