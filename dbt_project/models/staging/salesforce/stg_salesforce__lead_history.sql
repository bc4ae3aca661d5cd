{%- set columns %}
    {{ json_text('Id') }} as lead_history_id,
    {{ json_text('LeadId') }} as lead_id,
    {{ json_text('Field') }} as field_name,
    {{ json_text('OldValue') }} as old_value,
    {{ json_text('NewValue') }} as new_value,
    {{ json_text('CreatedById') }} as created_by_id,
    coalesce(cast({{ json_text('IsDeleted') }} as boolean), false) as is_deleted,
    {{ parse_instant(json_text('CreatedDate')) }} as created_at
{%- endset %}

{{ staged(source('salesforce', 'leadhistory'), columns=columns) }}
