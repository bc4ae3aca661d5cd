-- Rejections by month of rejection, original source and normalised reason, with each reason's
-- share of that month's and source's rejections.
with rejections as (
    select
        cast({{ dbt.date_trunc('month', 'rejected_at') }} as date) as rejected_month,
        original_source,
        rejection_reason,
        count(*) as rejections
    from {{ ref('fct_lead_lifecycle') }}
    where rejected_at is not null
    group by 1, 2, 3
)

select
    rejected_month,
    original_source,
    rejection_reason,
    rejections,
    {{ safe_ratio('rejections', 'sum(rejections) over (partition by rejected_month, original_source)') }} as share
from rejections
