{%- set columns %}
    {{ json_text('Id') }} as campaign_id,
    {{ json_text('Name') }} as campaign_name,
    {{ json_text('Type') }} as campaign_type,
    {{ json_text('Status') }} as campaign_status,
    cast({{ json_text('StartDate') }} as date) as start_date,
    cast({{ json_text('EndDate') }} as date) as end_date,
    {{ json_text('ParentId') }} as parent_campaign_id,
    cast({{ json_text('IsActive') }} as boolean) as is_active,
    {{ parse_instant(json_text('CreatedDate')) }} as created_at,
    {{ parse_instant(json_text('SystemModstamp')) }} as system_modstamp
{%- endset %}

{{ staged(source('salesforce', 'campaign'), columns=columns) }}
