{%- set columns %}
    cast({{ json_text('id') }} as integer) as activity_type_id,
    {{ json_text('name') }} as activity_type_name,
    {{ json_text('description') }} as description
{%- endset %}

{{ staged(source('marketo', 'activity_types'), columns=columns) }}
