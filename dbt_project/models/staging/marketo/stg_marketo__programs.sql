with source as (
    {{ latest_versions(source('marketo', 'programs'), 'updatedAt') }}
),

renamed as (
    select
        cast({{ json_text('id') }} as bigint) as program_id,
        {{ json_text('name') }} as program_name,
        {{ json_text('type') }} as program_type,
        {{ json_text('channel') }} as channel,
        {{ parse_instant(json_text('createdAt')) }} as created_at,
        {{ parse_instant(json_text('updatedAt')) }} as updated_at,
        {{ version_columns() }}
    from source
)

select * from renamed
