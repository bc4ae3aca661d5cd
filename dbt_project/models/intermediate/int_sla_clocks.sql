-- One row per MQL and SLA clock (see the `sla_policies` seed): when the clock started and
-- stopped, in whose time zone. first_touch and decision apply only once the lead is routed.
-- A clock runs only where the times it needs are known: not where its start or stop is known
-- only to the night (a lead sheet's stage without its date column, evidence `nightly read`),
-- nor a first-touch clock of a source that logs no activities (`history_grain` night) on a lead
-- decided without a first-touch date (it may have been touched; nobody wrote when).
-- Such a clock is kept, flagged (`is_known_to_the_night`): `int_sla_elapsed` leaves it out, and
-- `audit_sheet_discipline` counts the MQLs that have one.
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
        lifecycle.history_grain,
        lifecycle.mql_evidence,
        lifecycle.routed_evidence,
        lifecycle.first_touch_evidence,
        lifecycle.accepted_evidence,
        lifecycle.rejected_evidence,
        lifecycle.sql_evidence,
        owners.time_zone as owner_time_zone,
        known.time_zone as known_time_zone
    from {{ ref('int_lead_stages') }} as lifecycle
    left join {{ ref('int_owners') }} as owners
        on lifecycle.routed_owner_id = owners.owner_id
    left join {{ known_time_zones() }} as known
        on owners.time_zone = known.time_zone
    where lifecycle.mql_at is not null and {{ lead_is_rebuilt('lifecycle.lead_id') }}
),

clocks as (
    select
        lead_id,
        'assign' as sla_name,
        mql_at as start_at,
        routed_at as stop_at,
        coalesce(known_time_zone, 'UTC') as time_zone,
        coalesce('nightly read' in (mql_evidence, routed_evidence), false) as is_known_to_the_night
    from mqls
    union all
    select
        lead_id,
        'first_touch' as sla_name,
        greatest(mql_at, routed_at) as start_at,
        first_touch_at as stop_at,
        coalesce(known_time_zone, 'UTC') as time_zone,
        coalesce('nightly read' in (mql_evidence, routed_evidence, first_touch_evidence), false)
        or (
            history_grain = 'night'
            and first_touch_at is null
            and coalesce(accepted_at, rejected_at, sql_at) is not null
        ) as is_known_to_the_night
    from mqls
    where routed_at is not null
    union all
    select
        lead_id,
        'decision' as sla_name,
        greatest(mql_at, routed_at) as start_at,
        least(accepted_at, rejected_at, sql_at) as stop_at,
        coalesce(known_time_zone, 'UTC') as time_zone,
        coalesce('nightly read' in (
            mql_evidence,
            routed_evidence,
            case least(accepted_at, rejected_at, sql_at)
                when accepted_at then accepted_evidence
                when rejected_at then rejected_evidence
                when sql_at then sql_evidence
            end
        ), false) as is_known_to_the_night
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
    policies.minute_kind,
    clocks.is_known_to_the_night
from clocks
inner join {{ ref('sla_policies') }} as policies
    on clocks.sla_name = policies.sla_name
