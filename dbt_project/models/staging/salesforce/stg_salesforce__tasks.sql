{%- set columns %}
    {{ json_text('Id') }} as task_id,
    {{ json_text('WhoId') }} as who_id,
    {{ json_text('WhatId') }} as what_id,
    {{ json_text('OwnerId') }} as owner_id,
    {{ json_text('Subject') }} as subject,
    {{ json_text('TaskSubtype') }} as task_subtype,
    {{ json_text('Status') }} as task_status,
    cast({{ json_text('ActivityDate') }} as date) as activity_date,
    coalesce(cast({{ json_text('IsDeleted') }} as boolean), false) as is_deleted,
    {{ parse_instant(json_text('CreatedDate')) }} as created_at,
    {{ parse_instant(json_text('SystemModstamp')) }} as system_modstamp
{%- endset %}

{{ staged(source('salesforce', 'task'), columns=columns) }}
