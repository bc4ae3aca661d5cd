-- hist(S): the earliest time each lead's Status changed to a value mapped to stage S (seed
-- `lead_status_stages`).
select
    history.lead_id,
    min(case when stages.lifecycle_stage = 'mql' then history.created_at end) as mql_history_at,
    min(case when stages.lifecycle_stage = 'accepted' then history.created_at end) as accepted_history_at,
    min(case when stages.lifecycle_stage = 'rejected' then history.created_at end) as rejected_history_at,
    min(case when stages.lifecycle_stage = 'sql' then history.created_at end) as sql_history_at
from {{ ref('int_lead_history') }} as history
inner join {{ ref('lead_status_stages') }} as stages
    on history.new_value = stages.status
where history.field_name = 'Status'
group by history.lead_id
