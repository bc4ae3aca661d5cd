-- Stage aging: per stage and the month (UTC) its spells started, how many spells started and
-- ended, the days the ended ones lasted (sum and average), and how many are open at the as-of
-- time and stalled (open opportunities whose current spell this is).
with spells as (
    select
        spells.stage_name,
        cast({{ dbt.date_trunc('month', 'spells.started_at') }} as date) as started_month,
        spells.ended_at is not null as has_ended,
        case
            when spells.ended_at is not null then {{ minutes_between('spells.started_at', 'spells.ended_at') }} / 1440.0
        end as days_in_stage,
        spells.is_current and opportunities.is_open as is_open_at_as_of,
        spells.is_current and opportunities.is_stalled as is_stalled_at_as_of
    from {{ ref('int_opportunity_stage_spells') }} as spells
    inner join {{ ref('fct_opportunities') }} as opportunities
        on spells.opportunity_id = opportunities.opportunity_id
),

counted as (
    select
        stage_name,
        started_month,
        count(*) as spells_started,
        count(case when has_ended then 1 end) as spells_ended,
        coalesce(sum(days_in_stage), 0) as ended_days_sum,
        count(case when is_open_at_as_of then 1 end) as open_at_as_of,
        count(case when is_stalled_at_as_of then 1 end) as stalled_at_as_of
    from spells
    group by stage_name, started_month
)

select
    stage_name,
    started_month,
    spells_started,
    spells_ended,
    ended_days_sum,
    open_at_as_of,
    stalled_at_as_of,
    {{ safe_ratio('ended_days_sum', 'spells_ended') }} as avg_days_in_stage
from counted
