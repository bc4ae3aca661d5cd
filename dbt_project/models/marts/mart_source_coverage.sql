-- One row per source object: whether tonight's marts could use it. An object the org does not
-- have (or whose fields are unreadable), or Marketo without a connection, is skipped at
-- extraction; what depends on it is then not known rather than zero (dashboards read this
-- before trusting, say, campaign membership counts).
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
