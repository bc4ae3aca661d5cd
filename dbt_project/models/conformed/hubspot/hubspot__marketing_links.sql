-- HubSpot's marketing links (conformed `marketing_links`): HubSpot is its own marketing
-- automation, so each contact is its own marketing person, with HubSpot's original source
-- (`hs_analytics_source`, matched through the source aliases). Grain: one row per contact.
select
    contact_id as lead_id,
    'hubspot' as source_system,
    contact_id as marketing_person_id,
    {{ hubspot_property('hs_analytics_source') }} as marketing_source
from {{ ref('stg_hubspot__contacts') }}
