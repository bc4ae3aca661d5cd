{%- set columns %}
    cast({{ json_text('id') }} as bigint) as marketo_lead_id,
    {{ json_text('email') }} as email,
    {{ json_text('sfdcLeadId') }} as sfdc_lead_id,
    cast({{ json_text('leadScore') }} as double precision) as lead_score,
    {{ json_text('leadSource') }} as lead_source,
    {{ json_text('originalSourceType') }} as original_source_type,
    {{ parse_instant(json_text('createdAt')) }} as created_at,
    {{ parse_instant(json_text('updatedAt')) }} as updated_at
{%- endset %}

{{ staged(source('marketo', 'leads'), columns=columns) }}
