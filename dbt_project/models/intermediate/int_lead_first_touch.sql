-- The first call or e-mail logged against each lead.
select
    who_id as lead_id,
    min(created_at) as first_touch_task_at
from {{ ref('stg_salesforce__tasks') }}
where
    not is_deleted
    and who_id is not null
    and task_subtype in ('Call', 'Email')
group by who_id
