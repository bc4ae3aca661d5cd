-- One row per MQL: the three SLA clocks (assign, first_touch, decision). Minutes are null while
-- a clock has not stopped; first_touch and decision are null until the lead is routed.
-- a pending clock moves with the as-of alone (to breached: a breach stays one)
{%- set pending = 'select lead_id from ' ~ this
    ~ " where 'pending' in (assign_status, first_touch_status, decision_status)" %}
with elapsed as (
    select * from {{ ref('int_sla_elapsed') }}
    where {{ lead_is_rebuilt('lead_id', also=pending) }}
),

mqls as (
    select
        lead_id,
        mql_at,
        routed_owner_id,
        accepted_at,
        rejected_at,
        sql_at
    from {{ ref('fct_lead_lifecycle') }}
    where is_mql and {{ lead_is_rebuilt('lead_id', also=pending) }}
),

pivoted as (
    select
        lead_id,
        max(time_zone) as sla_timezone,
        max(case when sla_name = 'assign' then elapsed_minutes end) as assign_minutes,
        max(case when sla_name = 'assign' then sla_status end) as assign_status,
        max(case when sla_name = 'first_touch' then elapsed_minutes end) as first_touch_business_minutes,
        max(case when sla_name = 'first_touch' then sla_status end) as first_touch_status,
        max(case when sla_name = 'decision' then elapsed_minutes end) as decision_business_minutes,
        max(case when sla_name = 'decision' then sla_status end) as decision_status
    from elapsed
    group by lead_id
)

select
    mqls.lead_id,
    mqls.mql_at,
    cast({{ dbt.date_trunc('month', 'mqls.mql_at') }} as date) as mql_month,
    mqls.routed_owner_id,
    pivoted.sla_timezone,
    pivoted.assign_minutes,
    pivoted.assign_status,
    pivoted.first_touch_business_minutes,
    pivoted.first_touch_status,
    pivoted.decision_business_minutes,
    pivoted.decision_status,
    (
        pivoted.decision_status = 'breached'
        and mqls.accepted_at is null
        and mqls.rejected_at is null
        and mqls.sql_at is null
    ) as is_unworked_past_sla
from mqls
inner join pivoted on mqls.lead_id = pivoted.lead_id
