{%- set columns %}
    {{ json_text('id') }} as exchange_rate_id,
    {{ json_text('fromCurrencyCode') }} as from_currency_code,
    {{ json_text('toCurrencyCode') }} as to_currency_code,
    cast({{ json_text('conversionRate') }} as double precision) as conversion_rate,
    {{ parse_instant(json_text('effectiveAt')) }} as effective_at,
    {{ parse_instant(json_text('createdAt')) }} as created_at,
    {{ parse_instant(json_text('updatedAt')) }} as updated_at
{%- endset %}

{{ staged(source('hubspot', 'exchange_rates'), columns=columns) }}
