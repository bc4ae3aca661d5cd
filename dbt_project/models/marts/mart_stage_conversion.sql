-- Stage conversion by cohort month (lead created), original source and segment.
with lifecycle as (
    select * from {{ ref('fct_lead_lifecycle') }}
),

counted as (
    select
        cohort_month,
        original_source,
        segment,
        count(*) as leads,
        sum(case when is_mql then 1 else 0 end) as mqls,
        sum(case when routed_at is not null then 1 else 0 end) as routed,
        sum(case when accepted_at is not null then 1 else 0 end) as accepted,
        sum(case when rejected_at is not null then 1 else 0 end) as rejected,
        sum(case when reached_sql then 1 else 0 end) as sqls,
        sum(case when is_opportunity then 1 else 0 end) as opportunities,
        sum(case when is_mql and reached_sql then 1 else 0 end) as mqls_reaching_sql,
        sum(case when reached_sql and is_opportunity then 1 else 0 end) as sqls_with_opportunity,
        sum(coalesce(opportunity_amount, 0)) as pipeline_amount
    from lifecycle
    group by cohort_month, original_source, segment
)

select
    cohort_month,
    original_source,
    segment,
    leads,
    mqls,
    routed,
    accepted,
    rejected,
    sqls,
    opportunities,
    pipeline_amount,
    case when mqls > 0 then 1.0 * mqls_reaching_sql / mqls end as mql_to_sql_rate,
    case when sqls > 0 then 1.0 * sqls_with_opportunity / sqls end as sql_to_opportunity_rate,
    case when leads > 0 then 1.0 * opportunities / leads end as lead_to_opportunity_rate
from counted
