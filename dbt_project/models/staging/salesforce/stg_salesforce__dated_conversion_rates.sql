{%- set columns %}
    {{ json_text('Id') }} as dated_conversion_rate_id,
    {{ json_text('IsoCode') }} as iso_code,
    cast({{ json_text('ConversionRate') }} as double precision) as conversion_rate,
    cast({{ json_text('StartDate') }} as date) as start_date,
    cast({{ json_text('NextStartDate') }} as date) as next_start_date,
    {{ parse_instant(json_text('CreatedDate')) }} as created_at,
    {{ parse_instant(json_text('SystemModstamp')) }} as system_modstamp
{%- endset %}

{{ staged(source('salesforce', 'datedconversionrate'), columns=columns) }}
