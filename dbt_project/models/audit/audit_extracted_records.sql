-- One row per record tonight's extraction received and did not already hold: each record landed
-- as a new version, and each record quarantined whole (no usable key or stamp, or a key repeated
-- within a page); and every record staged without its parent (`audit_orphaned_records`), which
-- is quarantined from the marts until a night sees its parent. Grain: source object x record.
-- `is_quarantined` marks a record quarantined whole, with fields nulled or truncated, or
-- orphaned: the population and failures of the control `records_quarantined`. The reasons and
-- values as received are in raw_meta.quarantine; an orphan's reason names its parent.
with night as (
    select max(run_id) as run_id from {{ source('raw_meta', 'night') }}
),

objects as (
    {%- for system, table, stamp, created, staging_model in raw_objects() %}
        select
            '{{ system }}.{{ table }}' as source_object,
            '{{ system }}.{{ table }}' as object_key
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

landed as (
    {%- for system, table, stamp, created, staging_model in raw_objects() %}
        select distinct
            record_id,
            '{{ system }}.{{ table }}' as object_key
        from {{ source(system, table) }}
        where _run_id = (select night.run_id from night)
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

quarantined as (
    select
        quarantine.record_id,
        quarantine.field,
        quarantine.reason,
        quarantine.payload,
        quarantine.system || '.' || lower(quarantine.object) as object_key
    from {{ source('raw_meta', 'quarantine') }} as quarantine
    where quarantine.run_id = (select night.run_id from night)
),

-- a landed record may have fields quarantined, or a second copy in its page quarantined whole
reasons as (
    select
        object_key,
        record_id,
        min(reason) as reason
    from quarantined
    where record_id is not null
    group by object_key, record_id
),

records as (
    select
        landed.object_key,
        landed.record_id,
        reasons.reason
    from landed
    left join reasons
        on landed.object_key = reasons.object_key and landed.record_id = reasons.record_id
    union all
    -- a retried page quarantines the same record again: counted once
    select
        whole.object_key,
        whole.record_id,
        whole.reason
    from (
        select distinct
            object_key,
            record_id,
            reason,
            payload
        from quarantined
        where field is null
    ) as whole
    where not exists (
        select 1 from landed
        where landed.object_key = whole.object_key and landed.record_id = whole.record_id
    )
),

tonight as (
    select
        records.reason,
        coalesce(objects.source_object, records.object_key) as source_object,
        coalesce(objects.source_object, records.object_key) || ' ' || coalesce(records.record_id, '(no id)')
            as record_key
    from records
    left join objects on records.object_key = objects.object_key
),

orphans as (
    select * from {{ ref('audit_orphaned_records') }}
)

select
    coalesce(tonight.reason, orphans.reason) as quarantine_reason,
    tonight.source_object,
    tonight.record_key,
    coalesce(tonight.reason, orphans.reason) is not null as is_quarantined
from tonight
left join orphans on tonight.record_key = orphans.record_key
union all
select
    orphans.reason as quarantine_reason,
    orphans.source_object,
    orphans.record_key,
    true as is_quarantined
from orphans
where orphans.record_key not in (select tonight.record_key from tonight)
