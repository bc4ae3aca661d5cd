{%- set columns %}
    {{ json_text('Id') }} as opportunity_id,
    {{ json_text('Name') }} as opportunity_name,
    {{ json_text('AccountId') }} as account_id,
    {{ json_text('OwnerId') }} as owner_id,
    {{ json_text('StageName') }} as stage_name,
    cast({{ json_text('Amount') }} as decimal(18, 2)) as amount,
    coalesce(nullif(trim({{ json_text('CurrencyIsoCode') }}), ''), 'USD') as currency_iso_code,
    cast({{ json_text('Probability') }} as double precision) as probability,
    {{ json_text('Loss_Reason__c') }} as loss_reason,
    cast({{ json_text('CloseDate') }} as date) as close_date,
    {{ json_text('LeadSource') }} as lead_source,
    {{ json_text('CampaignId') }} as campaign_id,
    {{ json_text('NextStep') }} as next_step,
    {{ json_text('Business_Problem__c') }} as business_problem,
    {{ json_text('Use_Case__c') }} as use_case,
    {{ json_text('Type') }} as opportunity_type,
    coalesce(cast({{ json_text('IsClosed') }} as boolean), false) as is_closed,
    coalesce(cast({{ json_text('IsWon') }} as boolean), false) as is_won,
    coalesce(cast({{ json_text('IsDeleted') }} as boolean), false) as is_deleted,
    {{ parse_instant(json_text('CreatedDate')) }} as created_at,
    {{ parse_instant(json_text('LastModifiedDate')) }} as last_modified_at,
    {{ parse_instant(json_text('SystemModstamp')) }} as system_modstamp
{%- endset %}

{{ staged(source('salesforce', 'opportunity'), columns=columns) }}
