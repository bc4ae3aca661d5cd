-- One row per MQL and SLA clock (see the `sla_policies` seed): when the clock started and
-- stopped, in whose time zone. first_touch and decision apply only once the lead is routed.
with mqls as (
    select
        lifecycle.lead_id,
        lifecycle.mql_at,
        lifecycle.routed_at,
        lifecycle.first_touch_at,
        lifecycle.accepted_at,
        lifecycle.rejected_at,
        lifecycle.sql_at,
        lifecycle.routed_owner_id,
        owners.time_zone as owner_time_zone,
        known.time_zone as known_time_zone
    from {{ ref('int_lead_stages') }} as lifecycle
    left join {{ ref('int_owners') }} as owners
        on lifecycle.routed_owner_id = owners.owner_id
    left join {{ known_time_zones() }} as known
        on owners.time_zone = known.time_zone
    where lifecycle.mql_at is not null
),

clocks as (
    select
        lead_id,
        'assign' as sla_name,
        mql_at as start_at,
        routed_at as stop_at,
        coalesce(known_time_zone, 'UTC') as time_zone
    from mqls
    union all
    select
        lead_id,
        'first_touch' as sla_name,
        greatest(mql_at, routed_at) as start_at,
        first_touch_at as stop_at,
        coalesce(known_time_zone, 'UTC') as time_zone
    from mqls
    where routed_at is not null
    union all
    select
        lead_id,
        'decision' as sla_name,
        greatest(mql_at, routed_at) as start_at,
        least(accepted_at, rejected_at, sql_at) as stop_at,
        coalesce(known_time_zone, 'UTC') as time_zone
    from mqls
    where routed_at is not null
)

select
    clocks.lead_id,
    clocks.sla_name,
    clocks.start_at,
    clocks.stop_at,
    clocks.time_zone,
    policies.target_minutes,
    policies.minute_kind
from clocks
inner join {{ ref('sla_policies') }} as policies
    on clocks.sla_name = policies.sla_name
