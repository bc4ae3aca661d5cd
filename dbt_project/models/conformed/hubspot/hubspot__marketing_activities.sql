-- HubSpot's marketing activities (conformed `marketing_activities`, contract section 4): a
-- `recent_conversion_event_name` entry is a form filled out (its value the form's name), a
-- `hubspotscore` entry a score change; at or before the as-of time. Ties of the same time: the
-- later entry of the history. Grain: one row per entry.
select
    object_id as marketing_person_id,
    'hubspot' as source_system,
    history_entry_id as activity_id,
    cast(history_position as bigint) as activity_order,
    changed_at as activity_at,
    case when property_name = 'recent_conversion_event_name' then 'form' else 'score' end as activity_kind,
    case when property_name = 'recent_conversion_event_name' then property_value end as form_name
from {{ ref('stg_hubspot__contacts_history') }}
where
    property_name in ('recent_conversion_event_name', 'hubspotscore')
    and changed_at <= {{ as_of_timestamp() }}
    and not (property_name = 'recent_conversion_event_name' and coalesce(property_value, '') = '')
