-- Routing from owner history. One owner change writes two history rows (ids and names):
-- only the id form moves a lead from a queue (00G...) to a user (005...).
with routing_changes as (
    select
        lead_id,
        lead_history_id,
        created_at,
        new_value as routed_owner_id,
        row_number() over (partition by lead_id order by created_at, lead_history_id) as routing_order
    from {{ ref('int_lead_history') }}
    where
        field_name = 'Owner'
        and old_value like '00G%'
        and new_value like '005%'
)

select
    lead_id,
    lead_history_id as routing_history_id,
    created_at as first_routed_at,
    routed_owner_id
from routing_changes
where routing_order = 1
