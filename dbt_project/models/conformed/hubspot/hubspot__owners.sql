-- HubSpot's owners (conformed `owners`, contract section 4): every owner as of the as-of time,
-- its primary team as team, active unless archived, inactive since the `updatedAt` of its first
-- archived version. Owners carry no time zone: an owner's is the org's (seed `owner_time_zones`,
-- by e-mail), else the portal's. Grain: one row per owner.
with archived_since as (
    select
        record_id as owner_id,
        min({{ parse_instant('record_version') }}) as inactive_since
    from {{ source('hubspot', 'owners') }}
    where
        cast(payload ->> 'archived' as boolean)
        and {{ parse_instant('record_version') }} <= {{ as_of_timestamp() }}
    group by record_id
),

teams as (
    select
        owner_id,
        max(case when team ->> 'primary' = 'true' then team ->> 'name' end) as team_name
    from (
        select
            owner_id,
            {{ json_elements('teams') }} as team
        from {{ ref('stg_hubspot__owners') }}
    ) as memberships
    group by owner_id
),

portal as (
    select max(time_zone) as time_zone from {{ ref('stg_hubspot__account') }}
)

select
    owners.owner_id,
    'hubspot' as source_system,
    owners.email as owner_email,
    teams.team_name as owner_team,
    trim(coalesce(owners.first_name, '') || ' ' || coalesce(owners.last_name, '')) as owner_name,
    coalesce(zones.time_zone, (select portal.time_zone from portal)) as time_zone,
    not owners.is_archived as is_active,
    case when owners.is_archived then archived_since.inactive_since end as inactive_since
from {{ ref('stg_hubspot__owners') }} as owners
left join teams on owners.owner_id = teams.owner_id
left join archived_since on owners.owner_id = archived_since.owner_id
left join {{ ref('owner_time_zones') }} as zones
    on lower(trim(owners.email)) = lower(trim(zones.owner_email))
