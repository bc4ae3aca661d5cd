-- The status entries of HubSpot contacts (the evidence its conformed stage events and leads are
-- read from): the history entries, at or before the as-of time, of the status fields the seed
-- `lead_status_stages` names (default `lifecyclestage`, `hs_lead_status`) whose value maps to a
-- lifecycle stage; an entry of another value (`""`, `OPEN`, ...) is ignored. `status_order`
-- numbers a contact's entries in time order (same time: the `lifecyclestage` entry first, then
-- the other fields by name). Grain: one row per mapped entry.
{{ config(materialized='table') }}
select
    history.object_id as contact_id,
    history.history_entry_id,
    history.changed_at,
    history.property_name,
    history.property_value,
    stages.lifecycle_stage,
    row_number() over (
        partition by history.object_id
        order by
            history.changed_at,
            case when history.property_name = 'lifecyclestage' then 0 else 1 end,
            history.property_name,
            history.history_position
    ) as status_order
from {{ ref('stg_hubspot__contacts_history') }} as history
inner join {{ ref('lead_status_stages') }} as stages
    on
        history.property_name = stages.field
        and history.property_value = stages.value
where history.changed_at <= {{ as_of_timestamp() }}
