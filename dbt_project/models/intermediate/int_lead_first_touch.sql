-- The first touch (a call or e-mail) of each lead with activities (null when none of them is a
-- touch), and when any of its activities last changed, a deleted one included (what tells an
-- incremental reader that the first touch may have moved).
select
    lead_id,
    min(touched_at) as first_touch_task_at,
    max(modified_at) as tasks_modified_at
from {{ ref('int_touches') }}
where {{ lead_is_rebuilt('lead_id') }}
group by lead_id
