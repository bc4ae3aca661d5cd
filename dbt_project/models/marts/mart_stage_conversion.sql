-- Stage conversion by cohort month (lead created), original source and segment, with the rate
-- numerators (so BI can add cells up), outcomes and money in USD (from the lead's opportunity).
-- A cohort is mature (its conversion can be judged) once the seed `cohort_maturity`'s days have
-- passed since its month ended, at the night's as-of time.
with lifecycle as (
    select
        leads.*,
        opportunities.amount_usd
    from {{ ref('fct_lead_lifecycle') }} as leads
    left join {{ ref('fct_opportunities') }} as opportunities
        on leads.opportunity_id = opportunities.opportunity_id
),

counted as (
    select
        cohort_month,
        original_source,
        segment,
        cast(sum(coalesce(opportunity_amount, 0)) as decimal(18, 2)) as pipeline_amount,
        count(*) as leads,
        count(case when is_mql then 1 end) as mqls,
        count(case when routed_at is not null then 1 end) as routed,
        count(case when accepted_at is not null then 1 end) as accepted,
        count(case when rejected_at is not null then 1 end) as rejected,
        count(case when reached_sql then 1 end) as sqls,
        count(case when is_opportunity then 1 end) as opportunities,
        count(case when is_mql and reached_sql then 1 end) as mqls_reaching_sql,
        count(case when reached_sql and is_opportunity then 1 end) as sqls_with_opportunity,
        count(case when outcome = 'won' then 1 end) as won,
        count(case when outcome = 'lost' then 1 end) as lost,
        count(case when is_mql and outcome = 'won' then 1 end) as mqls_won,
        sum(coalesce(amount_usd, 0)) as pipeline_amount_usd,
        sum(case when outcome = 'won' then coalesce(amount_usd, 0) else 0 end) as won_amount_usd
    from lifecycle
    group by cohort_month, original_source, segment
)

select
    cohort_month,
    original_source,
    segment,
    {{ cohort_matures_on('cohort_month', 'lead_created_month') }} as cohort_matures_on,
    {{ cohort_is_mature('cohort_month', 'lead_created_month') }} as is_cohort_mature,
    leads,
    mqls,
    routed,
    accepted,
    rejected,
    sqls,
    opportunities,
    pipeline_amount,
    mqls_reaching_sql,
    sqls_with_opportunity,
    won,
    lost,
    pipeline_amount_usd,
    won_amount_usd,
    {{ safe_ratio('mqls_won', 'mqls') }} as mql_to_won_rate,
    {{ safe_ratio('mqls_reaching_sql', 'mqls') }} as mql_to_sql_rate,
    {{ safe_ratio('sqls_with_opportunity', 'sqls') }} as sql_to_opportunity_rate,
    {{ safe_ratio('opportunities', 'leads') }} as lead_to_opportunity_rate
from counted
