{%- set columns %}
    {{ json_text('id') }} as pipelines_id,
    {{ json_text('results') }} as pipelines
{%- endset %}

{{ staged(source('hubspot', 'pipelines'), columns=columns) }}
