-- When each lead reached each stage, and where that timestamp came from: the stamped field
-- first (CRM automation), else the evidence in history or tasks.
with leads as (
    select * from {{ ref('int_leads') }}
    where {{ lead_is_rebuilt('lead_id') }}
),

status_history as (
    select * from {{ ref('int_lead_status_history') }}
),

routing as (
    select * from {{ ref('int_lead_routing') }}
),

first_touch as (
    select * from {{ ref('int_lead_first_touch') }}
)

select
    leads.lead_id,
    leads.created_at,
    leads.status,
    leads.owner_id,
    leads.is_converted,
    leads.converted_opportunity_id,
    leads.sql_stamped_at,
    leads.history_grain,

    leads.rejection_reason as rejection_reason_raw,
    coalesce(
        routing.routed_owner_id,
        case when leads.owner_is_person then leads.owner_id end
    ) as routed_owner_id,
    {{ stamped_or_derived('mql', 'leads.mql_stamped_at', 'status_history.mql_history_at', 'field history') }},
    {{ stamped_or_derived('routed', 'leads.routed_stamped_at', 'routing.first_routed_at', 'owner history') }},
    {{ stamped_or_derived('first_touch', 'leads.first_touch_stamped_at', 'first_touch.first_touch_task_at', 'task') }},
    {{ stamped_or_derived(
        'accepted', 'leads.accepted_stamped_at', 'status_history.accepted_history_at', 'field history'
    ) }},
    {{ stamped_or_derived(
        'rejected', 'leads.rejected_stamped_at', 'status_history.rejected_history_at', 'field history'
    ) }},
    {{ stamped_or_derived('sql', 'leads.sql_stamped_at', 'status_history.sql_history_at', 'field history') }},
    coalesce(status_history.mql_history_count, 0) as mql_history_count,
    status_history.latest_mql_history_at,
    status_history.recycled_at,
    status_history.re_mql_at
from leads
left join status_history on leads.lead_id = status_history.lead_id
left join routing on leads.lead_id = routing.lead_id
left join first_touch on leads.lead_id = first_touch.lead_id
