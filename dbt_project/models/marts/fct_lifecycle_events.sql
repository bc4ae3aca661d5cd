-- One row per lead and stage reached, with where the timestamp came from, so a manager can
-- audit why a record moved. A lead that reached SQL with no SQL date (status or conversion
-- only) has an `sql` event with a null `entered_at` and evidence 'status only'.
--
-- Incremental by lead, as every lead-grain model (macros/lead_rebuilds.sql).
with stages as (
    select * from {{ ref('int_lead_stages') }}
    where {{ lead_is_rebuilt('lead_id') }}
),

lifecycle as (
    select * from {{ ref('fct_lead_lifecycle') }}
    where lead_id in (select stages.lead_id from stages)
),

events as (
    select
        lead_id,
        'created' as stage,
        created_at as entered_at,
        'record created' as evidence
    from stages
    union all
    select
        lead_id,
        'mql' as stage,
        mql_at as entered_at,
        mql_evidence as evidence
    from stages
    where mql_at is not null
    union all
    select
        lead_id,
        'routed' as stage,
        routed_at as entered_at,
        routed_evidence as evidence
    from stages
    where routed_at is not null
    union all
    select
        lead_id,
        'first_touch' as stage,
        first_touch_at as entered_at,
        first_touch_evidence as evidence
    from stages
    where first_touch_at is not null
    union all
    select
        lead_id,
        'accepted' as stage,
        accepted_at as entered_at,
        accepted_evidence as evidence
    from stages
    where accepted_at is not null
    union all
    select
        lead_id,
        'rejected' as stage,
        rejected_at as entered_at,
        rejected_evidence as evidence
    from stages
    where rejected_at is not null
    union all
    select
        stages.lead_id,
        'sql' as stage,
        stages.sql_at as entered_at,
        coalesce(stages.sql_evidence, 'status only') as evidence
    from stages
    inner join lifecycle on stages.lead_id = lifecycle.lead_id
    where lifecycle.reached_sql
    union all
    select
        lead_id,
        'opportunity' as stage,
        opportunity_created_at as entered_at,
        'conversion' as evidence
    from lifecycle
    where is_opportunity
)

select
    {{ dbt.hash(dbt.concat(['lead_id', "'|'", 'stage'])) }} as event_id,
    lead_id,
    stage,
    entered_at,
    evidence
from events
