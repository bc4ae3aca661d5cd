{%- set columns %}
    {{ json_text('rate_id') }} as rate_id,
    {{ parse_instant(json_text('_night')) }} as seen_at,
    upper({{ json_text('currency') }}) as iso_code,
    cast({{ json_text('rate') }} as double precision) as conversion_rate,
    cast({{ json_text('start_date') }} as date) as start_date
{%- endset %}

{{ staged(source('sheet', 'rates'), columns=columns) }}
