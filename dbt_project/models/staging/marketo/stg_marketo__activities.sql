{%- set columns %}
    cast({{ json_text('id') }} as bigint) as activity_id,
    {{ json_text('marketoGUID') }} as marketo_guid,
    cast({{ json_text('leadId') }} as bigint) as marketo_lead_id,
    {{ parse_instant(json_text('activityDate')) }} as activity_at,
    cast({{ json_text('activityTypeId') }} as integer) as activity_type_id,
    cast({{ json_text('primaryAttributeValueId') }} as bigint) as primary_attribute_value_id,
    {{ json_text('primaryAttributeValue') }} as primary_attribute_value
{%- endset %}

{{ staged(source('marketo', 'activities'), columns=columns) }}
