-- Salesforce's lead routings (conformed `lead_routings`): owner changes from a queue (00G...) to
-- a user (005...). One owner change writes two history rows (ids and names): only the id form
-- is a routing. Grain: one row per routing history row.
select
    lead_id,
    'salesforce' as source_system,
    lead_history_id as routing_id,
    created_at as routed_at,
    new_value as routed_owner_id
from {{ ref('salesforce__lead_field_history') }}
where
    field_name = 'Owner'
    and old_value like '00G%'
    and new_value like '005%'
