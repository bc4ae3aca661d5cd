with source as (
    {{ latest_versions(source('salesforce', 'lead'), 'SystemModstamp') }}
),

renamed as (
    select
        {{ json_text('Id') }} as lead_id,
        {{ json_text('FirstName') }} as first_name,
        {{ json_text('LastName') }} as last_name,
        {{ json_text('Email') }} as email,
        {{ json_text('Company') }} as company,
        {{ json_text('Title') }} as title,
        {{ json_text('Country') }} as country,
        {{ json_text('Industry') }} as industry,
        cast({{ json_text('NumberOfEmployees') }} as integer) as number_of_employees,
        {{ json_text('Status') }} as status,
        {{ json_text('LeadSource') }} as lead_source,
        {{ json_text('OwnerId') }} as owner_id,
        coalesce(cast({{ json_text('IsDeleted') }} as boolean), false) as is_deleted,
        {{ json_text('MasterRecordId') }} as master_record_id,
        coalesce(cast({{ json_text('IsConverted') }} as boolean), false) as is_converted,
        cast({{ json_text('ConvertedDate') }} as date) as converted_date,
        {{ json_text('ConvertedAccountId') }} as converted_account_id,
        {{ json_text('ConvertedContactId') }} as converted_contact_id,
        {{ json_text('ConvertedOpportunityId') }} as converted_opportunity_id,
        cast({{ json_text('Lead_Score__c') }} as double precision) as lead_score,
        {{ parse_instant(json_text('MQL_Date__c')) }} as mql_stamped_at,
        {{ parse_instant(json_text('Routed_Date__c')) }} as routed_stamped_at,
        {{ parse_instant(json_text('First_Touch_Date__c')) }} as first_touch_stamped_at,
        {{ parse_instant(json_text('Accepted_Date__c')) }} as accepted_stamped_at,
        {{ parse_instant(json_text('Rejected_Date__c')) }} as rejected_stamped_at,
        {{ json_text('Rejection_Reason__c') }} as rejection_reason,
        {{ parse_instant(json_text('SQL_Date__c')) }} as sql_stamped_at,
        {{ parse_instant(json_text('CreatedDate')) }} as created_at,
        {{ parse_instant(json_text('LastModifiedDate')) }} as last_modified_at,
        {{ parse_instant(json_text('SystemModstamp')) }} as system_modstamp,
        {{ version_columns() }}
    from source
)

select * from renamed
