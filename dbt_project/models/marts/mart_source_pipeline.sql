-- Pipeline created by cohort month and original source.
select
    cohort_month,
    original_source,
    count(*) as leads,
    sum(case when is_opportunity then 1 else 0 end) as opportunities,
    sum(coalesce(opportunity_amount, 0)) as pipeline_amount,
    sum(case when opportunity_is_won then coalesce(opportunity_amount, 0) else 0 end) as won_amount
from {{ ref('fct_lead_lifecycle') }}
group by cohort_month, original_source
