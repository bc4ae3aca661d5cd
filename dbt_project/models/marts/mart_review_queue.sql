-- The records that need a person at the as-of time, one row per record and reason, with its
-- owner, the owner's team (User.Department), since when the condition holds and its age:
-- * unworked_past_sla: an MQL past its decision SLA with no decision (since it was routed, or
--   became an MQL if later);
-- * unrouted_mql: an MQL never routed, past its assign SLA (since it became an MQL);
-- * routed_to_inactive_owner: an open lead owned by an inactive user (since the user became inactive);
-- * stalled_opportunity: an open opportunity longer in its stage than the stall threshold (since
--   it entered the stage);
-- * sql_without_touch: a lead that reached SQL with no first touch (since SQL, else creation).
with leads as (
    select * from {{ ref('fct_lead_lifecycle') }}
),

sla as (
    select * from {{ ref('fct_lead_sla') }}
),

queue as (
    select
        leads.lead_id as record_id,
        'lead' as record_type,
        'unworked_past_sla' as reason,
        leads.owner_id,
        greatest(leads.mql_at, coalesce(leads.routed_at, leads.mql_at)) as since
    from leads
    inner join sla on leads.lead_id = sla.lead_id
    where sla.is_unworked_past_sla
    union all
    select
        leads.lead_id as record_id,
        'lead' as record_type,
        'unrouted_mql' as reason,
        leads.owner_id,
        leads.mql_at as since
    from leads
    inner join sla on leads.lead_id = sla.lead_id
    where leads.is_mql and leads.routed_at is null and sla.assign_status = 'breached'
    union all
    select
        leads.lead_id as record_id,
        'lead' as record_type,
        'routed_to_inactive_owner' as reason,
        leads.owner_id,
        coalesce(owners.inactive_since, {{ as_of_timestamp() }}) as since
    from leads
    left join {{ ref('int_owners') }} as owners on leads.owner_id = owners.owner_id
    where leads.is_open_lead and leads.is_owner_inactive
    union all
    select
        opportunity_id as record_id,
        'opportunity' as record_type,
        'stalled_opportunity' as reason,
        owner_id,
        current_stage_entered_at as since
    from {{ ref('fct_opportunities') }}
    where is_stalled
    union all
    select
        lead_id as record_id,
        'lead' as record_type,
        'sql_without_touch' as reason,
        owner_id,
        coalesce(sql_at, created_at) as since
    from leads
    where reached_sql and first_touch_at is null
)

select
    queue.record_id,
    queue.record_type,
    queue.reason,
    queue.owner_id,
    owners.owner_team,
    queue.since,
    {{ minutes_between('queue.since', as_of_timestamp()) }} / 1440.0 as age_days
from queue
left join {{ ref('int_owners') }} as owners on queue.owner_id = owners.owner_id
