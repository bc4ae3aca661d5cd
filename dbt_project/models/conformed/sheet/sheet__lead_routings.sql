-- A lead sheet's routings (conformed `lead_routings`): a snapshot version that gives a row an
-- owner the version before it did not have, at the night it was first seen. An owner the row had
-- when first read is no routing (as an owner set at creation in a CRM); the Assigned Date column,
-- when filled, is the stamp that wins over this. Grain: one row per routing.
with owners as (
    select
        lead_id,
        version_order,
        valid_from,
        owner_email,
        lag(owner_email) over (partition by lead_id order by version_order) as previous_owner,
        version_order = 1 as is_first
    from {{ ref('sheet__lead_versions') }}
    where not is_deletion
)

select
    lead_id,
    'sheet' as source_system,
    {{ dbt.right("'0000000000' || cast(version_order as " ~ dbt.type_string() ~ ")", 10) }} as routing_id,
    valid_from as routed_at,
    owner_email as routed_owner_id
from owners
where owner_email is not null and previous_owner is null and not is_first
