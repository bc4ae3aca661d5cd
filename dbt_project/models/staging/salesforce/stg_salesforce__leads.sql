-- The lifecycle fields are read by role, from the fields the org uses for them (seed
-- `lead_fields`); a role the org has no field for is null.
-- depends_on: {{ ref('lead_fields') }}
{%- set fields = lead_fields('salesforce') %}
{%- set config = lead_field_config(fields) %}

{%- set columns %}
    {{ json_text('Id') }} as lead_id,
    {{ json_text('FirstName') }} as first_name,
    {{ json_text('LastName') }} as last_name,
    {{ json_text('Email') }} as email,
    {{ json_text('Company') }} as company,
    {{ json_text('Title') }} as title,
    {{ json_text('Country') }} as country,
    {{ json_text('Industry') }} as industry,
    cast({{ json_text(fields.get('employee_count')) }} as integer) as number_of_employees,
    {{ json_text('Status') }} as status,
    {{ json_text(fields.get('lead_source')) }} as lead_source,
    {{ json_text('OwnerId') }} as owner_id,
    coalesce(cast({{ json_text('IsDeleted') }} as boolean), false) as is_deleted,
    {{ json_text('MasterRecordId') }} as master_record_id,
    coalesce(cast({{ json_text('IsConverted') }} as boolean), false) as is_converted,
    cast({{ json_text('ConvertedDate') }} as date) as converted_date,
    {{ json_text('ConvertedAccountId') }} as converted_account_id,
    {{ json_text('ConvertedContactId') }} as converted_contact_id,
    {{ json_text('ConvertedOpportunityId') }} as converted_opportunity_id,
    cast({{ json_text(fields.get('mql_score')) }} as double precision) as lead_score,
    {{ parse_instant(json_text(fields.get('mql_stamp'))) }} as mql_stamped_at,
    {{ parse_instant(json_text(fields.get('routed_stamp'))) }} as routed_stamped_at,
    {{ parse_instant(json_text(fields.get('first_touch_stamp'))) }} as first_touch_stamped_at,
    {{ parse_instant(json_text(fields.get('accepted_stamp'))) }} as accepted_stamped_at,
    {{ parse_instant(json_text(fields.get('rejected_stamp'))) }} as rejected_stamped_at,
    {{ json_text(fields.get('rejection_reason')) }} as rejection_reason,
    {{ parse_instant(json_text(fields.get('sql_stamp'))) }} as sql_stamped_at,
    {{ parse_instant(json_text('CreatedDate')) }} as created_at,
    {{ parse_instant(json_text('LastModifiedDate')) }} as last_modified_at,
    {{ parse_instant(json_text('SystemModstamp')) }} as system_modstamp
{%- endset %}

{{ staged(source('salesforce', 'lead'), config, columns=columns) }}
