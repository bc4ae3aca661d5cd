{%- set columns %}
    {{ json_text('Id') }} as opportunity_history_id,
    {{ json_text('OpportunityId') }} as opportunity_id,
    {{ json_text('StageName') }} as stage_name,
    cast({{ json_text('Amount') }} as decimal(18, 2)) as amount,
    cast({{ json_text('CloseDate') }} as date) as close_date,
    cast({{ json_text('Probability') }} as double precision) as probability,
    {{ json_text('CreatedById') }} as created_by_id,
    coalesce(cast({{ json_text('IsDeleted') }} as boolean), false) as is_deleted,
    {{ parse_instant(json_text('CreatedDate')) }} as created_at
{%- endset %}

{{ staged(source('salesforce', 'opportunityhistory'), columns=columns) }}
