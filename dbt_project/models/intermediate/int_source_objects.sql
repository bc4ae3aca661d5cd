-- One row per source object of the catalogue (`raw_objects`): the records staged tonight, and why
-- it was skipped at extraction if it was (the org has no such object or no readable field of it,
-- or its system has no connection); and one per entity a system read tonight cannot express at
-- all (`inexpressible_entities`: HubSpot's campaigns), unavailable, saying why.
with night as (
    select max(run_id) as run_id from {{ source('raw_meta', 'night') }}
),

skipped as (
    select
        system || '.' || lower(object) as object_key,
        min(skipped) as skipped_reason
    from {{ source('raw_meta', 'loads') }}
    where run_id = (select night.run_id from night) and skipped is not null
    group by system || '.' || lower(object)
),

objects as (
    {%- for system, table, stamp, created, staging_model in raw_objects() %}
        select
            '{{ system }}.{{ table }}' as source_object,
            '{{ system }}.{{ table }}' as object_key,
            (select count(*) from {{ ref(staging_model) }}) as records
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

select
    objects.source_object,
    objects.records,
    skipped.skipped_reason,
    skipped.skipped_reason is null as is_available
from objects
left join skipped on objects.object_key = skipped.object_key
{%- for system, entities in inexpressible_entities().items() %}
    {%- for entity, reason in entities.items() %}
        union all
        select
            '{{ system }}.{{ entity }}' as source_object,
            0 as records,
            '{{ reason | replace("'", "''") }}' as skipped_reason,
            false as is_available
        where exists (
            select 1 from {{ source('raw_meta', 'loads') }} as loads
            where
                loads.run_id = (select night.run_id from night)
                and loads.system = '{{ system }}'
                and loads.skipped is null
        )
    {%- endfor %}
{%- endfor %}
