-- Salesforce's lead source walk (conformed `lead_source_values`, lifecycle-semantics section 3):
-- the OldValue of a lead's earliest change of its source field (role `lead_source`), then the
-- NewValue of each change in time order (ties by id). The current value comes last, from the lead.
-- Grain: one row per lead and step of the walk.
{%- set source_field = lead_fields('salesforce').get('lead_source') %}
with source_changes as (
    select
        lead_id,
        change_order,
        old_value,
        new_value
    from {{ ref('salesforce__lead_field_history') }}
    where field_name = '{{ source_field or "" }}'
)

select
    lead_id,
    'salesforce' as source_system,
    cast(0 as bigint) as walk_order,
    old_value as source_value
from source_changes
where change_order = 1
union all
select
    lead_id,
    'salesforce' as source_system,
    cast(change_order as bigint) as walk_order,
    new_value as source_value
from source_changes
