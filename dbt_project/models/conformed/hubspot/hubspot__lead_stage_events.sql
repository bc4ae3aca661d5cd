-- HubSpot's lead stage events (conformed `lead_stage_events`): a contact's mapped status entries
-- in time order, each with the stage of the entry before it (contract section 4).
-- Grain: one row per mapped status entry.
select
    contact_id as lead_id,
    'hubspot' as source_system,
    {{ dbt.right("'0000000000' || cast(status_order as " ~ dbt.type_string() ~ ")", 10) }} as event_id,
    changed_at,
    lag(lifecycle_stage) over (partition by contact_id order by status_order) as old_stage,
    lifecycle_stage as new_stage
from {{ ref('hubspot__contact_status_entries') }}
