-- One row per opportunity (existing at the as-of time, not deleted) and stage spell: a maximal
-- run of its consecutive history rows (not deleted, by CreatedDate, ties by id) with one
-- StageName. A spell starts at its first row and ends where the next spell starts; the last is
-- open at the as-of time. An opportunity without history has one spell: its current stage, from
-- its creation.
with opportunities as (
    select * from {{ ref('int_opportunities') }}
    where not is_deleted
),

history as (
    select
        opportunity_id,
        stage_name,
        created_at,
        row_number() over (partition by opportunity_id order by created_at, opportunity_history_id) as history_order,
        lag(stage_name) over (
            partition by opportunity_id order by created_at, opportunity_history_id
        ) as previous_stage_name
    from {{ ref('int_opportunity_history') }}
),

starts as (
    select
        opportunity_id,
        stage_name,
        created_at as started_at,
        history_order
    from history
    where history_order = 1 or stage_name is distinct from previous_stage_name
    union all
    select
        opportunities.opportunity_id,
        opportunities.stage_name,
        opportunities.created_at as started_at,
        1 as history_order
    from opportunities
    where not exists (
        select 1 from history
        where history.opportunity_id = opportunities.opportunity_id
    )
)

select
    starts.opportunity_id,
    starts.stage_name,
    starts.started_at,
    lead(starts.started_at) over (
        partition by starts.opportunity_id order by starts.history_order
    ) as ended_at,
    row_number() over (partition by starts.opportunity_id order by starts.history_order) as spell_number,
    row_number() over (partition by starts.opportunity_id order by starts.history_order desc) = 1 as is_current
from starts
inner join opportunities on starts.opportunity_id = opportunities.opportunity_id
