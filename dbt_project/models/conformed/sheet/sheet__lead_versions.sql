-- Every version of every lead row the sheet's snapshots hold at or before the as-of, in order,
-- each with the lifecycle stage of its status (seed `lead_status_stages`, the status column's
-- rows, matched ignoring case) and whether it is the row's deletion. A version is valid from the
-- night it was first seen. Grain: one row per lead row version.
{{ config(materialized='table') }}
{%- set status_field = lead_fields('sheet').get('status', 'Status') %}

with versions as (
    select
        snapshots.*,
        coalesce(cast(snapshots.dbt_is_deleted as {{ dbt.type_string() }}) = 'True', false) as is_deletion
    from {{ ref('snapshot_sheet__leads') }} as snapshots
    where snapshots.dbt_valid_from <= {{ as_of_timestamp() }}
),

stages as (
    select
        lower(trim(value)) as status_key,
        max(lifecycle_stage) as lifecycle_stage
    from {{ ref('lead_status_stages') }}
    where lower(field) = lower('{{ status_field }}')
    group by lower(trim(value))
)

select
    versions.lead_id,
    versions.dbt_valid_from as valid_from,
    cast(row_number() over (
        partition by versions.lead_id order by versions.dbt_valid_from, versions.is_deletion
    ) as bigint) as version_order,
    versions.is_deletion,
    versions.row_number,
    versions.email,
    versions.status,
    case when not versions.is_deletion then stages.lifecycle_stage end as status_stage,
    versions.owner_email,
    versions.lead_source,
    versions.rejection_reason,
    {%- for stage in ['mql', 'routed', 'first_touch', 'accepted', 'rejected', 'sql', 'opportunity'] %}
        versions.{{ stage }}_stamp,
    {%- endfor %}
    versions.created_at
from versions
left join stages on lower(versions.status) = stages.status_key
