{%- set columns %}
    {{ json_text('id') }} as account_id,
    {{ json_text('portalId') }} as portal_id,
    {{ json_text('timeZone') }} as time_zone,
    {{ json_text('companyCurrency') }} as company_currency
{%- endset %}

{{ staged(source('hubspot', 'account'), columns=columns) }}
