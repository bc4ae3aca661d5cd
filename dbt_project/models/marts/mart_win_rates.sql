-- Win rates by the month an opportunity was created (UTC) and the source it is credited to:
-- opportunities, how many closed, won and lost, the win rate (won / closed), pipeline and won
-- amounts in USD, and the cycle days of won opportunities (their sum, so BI can add cells up).
-- A month is mature once the seed `cohort_maturity`'s days for opportunity months have passed
-- since it ended: before, its win rate counts only the deals that closed fast.
with opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

counted as (
    select
        created_month,
        source,
        count(*) as opportunities,
        count(case when is_closed then 1 end) as closed,
        count(case when is_won then 1 end) as won,
        count(case when is_closed and not is_won then 1 end) as lost,
        sum(coalesce(amount_usd, 0)) as pipeline_amount_usd,
        sum(case when is_won then coalesce(amount_usd, 0) else 0 end) as won_amount_usd,
        coalesce(sum(case when is_won then cycle_days end), 0) as cycle_days_won_sum,
        count(case when is_won and cycle_days is not null then 1 end) as won_with_cycle
    from opportunities
    group by created_month, source
)

select
    created_month,
    source,
    {{ cohort_matures_on('created_month', 'opportunity_created_month') }} as cohort_matures_on,
    {{ cohort_is_mature('created_month', 'opportunity_created_month') }} as is_cohort_mature,
    opportunities,
    closed,
    won,
    lost,
    pipeline_amount_usd,
    won_amount_usd,
    cycle_days_won_sum,
    {{ safe_ratio('won', 'closed') }} as win_rate,
    {{ safe_ratio('cycle_days_won_sum', 'won_with_cycle') }} as avg_cycle_days_won
from counted
