-- What each opportunity's history says (existing at the as-of time, not deleted): when it
-- closed (its first spell in Closed Won or Closed Lost), when its current stage began, and how
-- many times its close date was pushed out (a history row whose CloseDate is later than the
-- previous row's, both set).
with spells as (
    select * from {{ ref('int_opportunity_stage_spells') }}
),

close_dates as (
    select
        opportunity_id,
        close_date,
        lag(close_date) over (
            partition by opportunity_id order by created_at, opportunity_history_id
        ) as previous_close_date
    from {{ ref('int_opportunity_history') }}
),

pushes as (
    select
        opportunity_id,
        count(case when close_date > previous_close_date then 1 end) as close_date_pushes
    from close_dates
    group by opportunity_id
)

select
    spells.opportunity_id,
    min(case when spells.stage_name in ('Closed Won', 'Closed Lost') then spells.started_at end) as first_closed_at,
    max(case when spells.is_current then spells.started_at end) as current_stage_entered_at,
    coalesce(max(pushes.close_date_pushes), 0) as close_date_pushes
from spells
left join pushes on spells.opportunity_id = pushes.opportunity_id
group by spells.opportunity_id
