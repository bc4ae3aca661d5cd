-- The first call or e-mail logged against each lead (not deleted; null when the lead has tasks
-- but none of those), and when any of its tasks last changed, a deleted one included (what tells
-- an incremental reader that the first touch may have moved).
select
    who_id as lead_id,
    min(case when not is_deleted and task_subtype in ('Call', 'Email') then created_at end) as first_touch_task_at,
    max(system_modstamp) as tasks_modified_at
from {{ ref('stg_salesforce__tasks') }}
where who_id is not null
group by who_id
