-- One row per lead with status history. hist(S): the earliest time its status changed to a value
-- mapped to stage S (`int_lead_stage_events`). Recycling: the first change to nurture from a
-- funnel stage (mql, accepted, rejected, sql) recycles the lead; a change to mql strictly after
-- it is a re-MQL. `mql_history_count` counts every change to mql.
with changes as (
    select
        lead_id,
        changed_at as created_at,
        new_stage,
        old_stage
    from {{ ref('int_lead_stage_events') }}
    where {{ lead_is_rebuilt('lead_id') }}
),

recycles as (
    select
        lead_id,
        min(created_at) as recycled_at
    from changes
    where new_stage = 'nurture' and old_stage in ('mql', 'accepted', 'rejected', 'sql')
    group by lead_id
)

select
    changes.lead_id,
    min(case when changes.new_stage = 'mql' then changes.created_at end) as mql_history_at,
    min(case when changes.new_stage = 'accepted' then changes.created_at end) as accepted_history_at,
    min(case when changes.new_stage = 'rejected' then changes.created_at end) as rejected_history_at,
    min(case when changes.new_stage = 'sql' then changes.created_at end) as sql_history_at,
    count(case when changes.new_stage = 'mql' then 1 end) as mql_history_count,
    max(case when changes.new_stage = 'mql' then changes.created_at end) as latest_mql_history_at,
    min(recycles.recycled_at) as recycled_at,
    min(
        case when changes.new_stage = 'mql' and changes.created_at > recycles.recycled_at then changes.created_at end
    ) as re_mql_at
from changes
left join recycles on changes.lead_id = recycles.lead_id
group by changes.lead_id
