with source as (
    {{ latest_versions(source('salesforce', 'group'), 'SystemModstamp') }}
),

renamed as (
    select
        {{ json_text('Id') }} as group_id,
        {{ json_text('Name') }} as group_name,
        {{ json_text('Type') }} as group_type,
        {{ parse_instant(json_text('CreatedDate')) }} as created_at,
        {{ parse_instant(json_text('SystemModstamp')) }} as system_modstamp,
        {{ version_columns() }}
    from source
)

select * from renamed
