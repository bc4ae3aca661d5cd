-- HubSpot's lead routings (conformed `lead_routings`, contract section 4): an entry of a contact's
-- `hubspot_owner_id` that sets an owner, later than the contact's creation, whose previous entry
-- is empty or absent (no owner plays the queue's part). An owner set at creation is no routing.
-- Grain: one row per routing entry.
with owner_entries as (
    select
        object_id as contact_id,
        history_entry_id,
        changed_at,
        nullif(property_value, '') as owner_id,
        lag(nullif(property_value, '')) over (
            partition by object_id order by changed_at, history_position
        ) as previous_owner_id
    from {{ ref('stg_hubspot__contacts_history') }}
    where
        property_name = 'hubspot_owner_id'
        and changed_at <= {{ as_of_timestamp() }}
)

select
    owner_entries.contact_id as lead_id,
    'hubspot' as source_system,
    owner_entries.history_entry_id as routing_id,
    owner_entries.changed_at as routed_at,
    owner_entries.owner_id as routed_owner_id
from owner_entries
inner join {{ ref('stg_hubspot__contacts') }} as contacts
    on owner_entries.contact_id = contacts.contact_id
where
    owner_entries.owner_id is not null
    and owner_entries.previous_owner_id is null
    and owner_entries.changed_at > contacts.created_at
