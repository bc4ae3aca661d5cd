-- Pipeline created by cohort month and original source.
select
    cohort_month,
    original_source,
    cast(sum(coalesce(opportunity_amount, 0)) as decimal(18, 2)) as pipeline_amount,
    cast(sum(case when opportunity_is_won then coalesce(opportunity_amount, 0) else 0 end) as decimal(18, 2))
        as won_amount,
    count(*) as leads,
    count(case when is_opportunity then 1 end) as opportunities
from {{ ref('fct_lead_lifecycle') }}
group by cohort_month, original_source
