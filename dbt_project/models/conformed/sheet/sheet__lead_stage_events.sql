-- A lead sheet's stage events (conformed `lead_stage_events`): each snapshot version whose status
-- maps to a stage other than the version before it, at the night it was first seen (the night,
-- not the minute: docs/lifecycle.md, "A lead sheet"). Grain: one row per change of stage.
with staged as (
    select
        lead_id,
        version_order,
        valid_from,
        status_stage,
        lag(status_stage) over (partition by lead_id order by version_order) as previous_stage,
        lag(is_deletion) over (partition by lead_id order by version_order) as after_deletion
    from {{ ref('sheet__lead_versions') }}
)

select
    lead_id,
    'sheet' as source_system,
    {{ dbt.right("'0000000000' || cast(version_order as " ~ dbt.type_string() ~ ")", 10) }} as event_id,
    valid_from as changed_at,
    previous_stage as old_stage,
    status_stage as new_stage
from staged
where
    status_stage is not null
    and (previous_stage is null or previous_stage != status_stage or after_deletion)
