-- The first touch (a call or e-mail) of each lead with activities (null when none of them is a
-- touch).
select
    lead_id,
    min(touched_at) as first_touch_task_at
from {{ ref('int_touches') }}
where {{ lead_is_rebuilt('lead_id') }}
group by lead_id
