-- Lost opportunities by the month they closed (UTC), the source they are credited to and the
-- loss reason, with each reason's share of that month's and source's losses.
with losses as (
    select
        cast({{ dbt.date_trunc('month', 'closed_at') }} as date) as closed_month,
        source,
        loss_reason,
        count(*) as losses
    from {{ ref('fct_opportunities') }}
    where loss_reason is not null
    group by 1, 2, 3
)

select
    closed_month,
    source,
    loss_reason,
    losses,
    cast(losses as double precision) / sum(losses) over (partition by closed_month, source) as share
from losses
