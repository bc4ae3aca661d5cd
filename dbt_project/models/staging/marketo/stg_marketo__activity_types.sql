with source as (
    {{ latest_versions(source('marketo', 'activity_types')) }}
),

renamed as (
    select
        cast({{ json_text('id') }} as integer) as activity_type_id,
        {{ json_text('name') }} as activity_type_name,
        {{ json_text('description') }} as description,
        {{ version_columns() }}
    from source
)

select * from renamed
