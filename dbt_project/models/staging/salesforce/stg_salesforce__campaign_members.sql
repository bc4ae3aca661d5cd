{%- set columns %}
    {{ json_text('Id') }} as campaign_member_id,
    {{ json_text('CampaignId') }} as campaign_id,
    {{ json_text('LeadId') }} as lead_id,
    {{ json_text('ContactId') }} as contact_id,
    {{ json_text('Status') }} as member_status,
    cast({{ json_text('HasResponded') }} as boolean) as has_responded,
    cast({{ json_text('FirstRespondedDate') }} as date) as first_responded_date,
    coalesce(cast({{ json_text('IsDeleted') }} as boolean), false) as is_deleted,
    {{ parse_instant(json_text('CreatedDate')) }} as created_at,
    {{ parse_instant(json_text('SystemModstamp')) }} as system_modstamp
{%- endset %}

{{ staged(source('salesforce', 'campaignmember'), columns=columns) }}
