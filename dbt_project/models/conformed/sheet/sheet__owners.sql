-- A lead sheet's owners (conformed `owners`): the Owners tab's rows in the night's read, by
-- e-mail (trimmed, lower case: the id a lead's Owner Email names). Time zone from the tab, else
-- the org's `owner_time_zones`; active unless the Active cell says no. A row deleted from the
-- tab is no owner (a lead naming it fails the control `sheet_owner_unknown`).
-- Grain: one row per owner.
with owners as (
    {{ sheet_night_read('stg_sheet__owners') }}
)

select
    'sheet' as source_system,
    owners.owner_name,
    owners.email as owner_email,
    owners.owner_team,
    cast(null as timestamp) as inactive_since,
    lower(trim(owners.email)) as owner_id,
    coalesce(nullif(trim(owners.time_zone), ''), zones.time_zone) as time_zone,
    coalesce(owners.is_active, true) as is_active
from owners
left join {{ ref('owner_time_zones') }} as zones
    on lower(trim(owners.email)) = lower(trim(zones.owner_email))
