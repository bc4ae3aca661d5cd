-- Each lead's first routing (from a queue, or from no owner, to a person), of every source system
-- (conformed `lead_routings`). One row per routed lead.
with routings as (
    {{ union_systems('lead_routings') }}
),

ordered as (
    select
        lead_id,
        routing_id,
        routed_at,
        routed_owner_id,
        row_number() over (partition by lead_id order by routed_at, routing_id) as routing_order
    from routings
    where {{ lead_is_rebuilt('lead_id') }}
)

select
    lead_id,
    routing_id as routing_history_id,
    routed_at as first_routed_at,
    routed_owner_id
from ordered
where routing_order = 1
