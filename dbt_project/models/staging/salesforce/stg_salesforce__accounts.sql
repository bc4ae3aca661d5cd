{%- set columns %}
    {{ json_text('Id') }} as account_id,
    {{ json_text('Name') }} as account_name,
    {{ json_text('Industry') }} as industry,
    cast({{ json_text('NumberOfEmployees') }} as integer) as number_of_employees,
    {{ json_text('BillingCountry') }} as billing_country,
    cast({{ json_text('IsDeleted') }} as boolean) as is_deleted,
    {{ parse_instant(json_text('CreatedDate')) }} as created_at,
    {{ parse_instant(json_text('SystemModstamp')) }} as system_modstamp
{%- endset %}

{{ staged(source('salesforce', 'account'), columns=columns) }}
