-- HubSpot's lead source walk (conformed `lead_source_values`, lifecycle-semantics section 3): the
-- entries of the contact's source property (seed `lead_fields`, role `lead_source`) at or before
-- the as-of time, in time order. The current value comes last, from the lead.
-- Grain: one row per source entry.
{%- set source_field = lead_fields('hubspot').get('lead_source') %}
select
    object_id as lead_id,
    'hubspot' as source_system,
    cast(row_number() over (
        partition by object_id order by changed_at, history_position
    ) as bigint) as walk_order,
    property_value as source_value
from {{ ref('stg_hubspot__contacts_history') }}
where
    property_name = '{{ source_field or "" }}'
    and changed_at <= {{ as_of_timestamp() }}
