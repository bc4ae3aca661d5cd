-- Salesforce's lead stage events (conformed `lead_stage_events`): the Status changes in field
-- history whose new value maps to a stage (seed `lead_status_stages`, field `Status`), each with
-- the stage its old value maps to. Grain: one row per Status history row.
select
    history.lead_id,
    'salesforce' as source_system,
    history.lead_history_id as event_id,
    history.created_at as changed_at,
    old_stages.lifecycle_stage as old_stage,
    new_stages.lifecycle_stage as new_stage
from {{ ref('salesforce__lead_field_history') }} as history
inner join {{ ref('lead_status_stages') }} as new_stages
    on
        new_stages.field = 'Status'
        and history.new_value = new_stages.value
left join {{ ref('lead_status_stages') }} as old_stages
    on
        old_stages.field = 'Status'
        and history.old_value = old_stages.value
where history.field_name = 'Status'
