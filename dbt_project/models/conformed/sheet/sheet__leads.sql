-- A lead sheet's leads (conformed `leads`): every row of the night's read, as it reads. A stage's
-- stamp is its date column: the latest date the sheet gave it (`sheet__lead_dates`), unset when
-- after the as-of; a stage without one takes the night the row was first seen in it
-- (`sheet__lead_stage_events`). Converted when the status maps to `converted` or the row has an
-- opportunity date, to the row's own opportunity (`sheet__opportunities`) when its opportunity
-- columns say anything (date, stage or amount). The owner is the Owner Email (the Owners tab's
-- key); a row without its Created date exists from the night it was first seen.
-- Grain: one row per lead row.
{{ config(materialized='table') }}
{%- set stamps = ['mql', 'routed', 'first_touch', 'accepted', 'rejected', 'sql', 'opportunity'] %}

with current_versions as (
    select
        lead_id,
        status_stage
    from (
        select
            lead_id,
            status_stage,
            row_number() over (partition by lead_id order by version_order desc) as recency
        from {{ ref('sheet__lead_versions') }}
        where not is_deletion
    ) as ranked
    where recency = 1
),

leads as (
    select
        lead_rows.*,
        current_versions.status_stage,
        latest_dates.first_converted_at,
        latest_dates.first_seen_at,
        latest_dates.modified_at,
        {%- for stage in stamps %}
            case
                when latest_dates.{{ stage }}_date <= {{ as_of_timestamp() }} then latest_dates.{{ stage }}_date
            end as {{ stage }}_stamped_at
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref('sheet__lead_rows') }} as lead_rows
    left join current_versions on lead_rows.lead_id = current_versions.lead_id
    left join {{ ref('sheet__lead_dates') }} as latest_dates on lead_rows.lead_id = latest_dates.lead_id
),

converted as (
    select
        *,
        coalesce(status_stage = 'converted', false) or opportunity_stamped_at is not null as is_converted,
        coalesce(
            opportunity_stamped_at is not null or opportunity_stage is not null or opportunity_amount is not null,
            false
        ) as has_opportunity
    from leads
)

select
    lead_id,
    'sheet' as source_system,
    email,
    status,
    status_stage,
    lead_source,
    owner_email as owner_id,
    is_converted,
    number_of_employees,
    lead_score,
    mql_stamped_at,
    routed_stamped_at,
    first_touch_stamped_at,
    accepted_stamped_at,
    rejected_stamped_at,
    sql_stamped_at,
    rejection_reason,
    modified_at,
    'night' as history_grain,
    owner_email is not null as owner_is_person,
    case when is_converted then cast(coalesce(opportunity_stamped_at, first_converted_at) as date) end
        as converted_date,
    case when is_converted and has_opportunity then lead_id || '/opportunity' end as converted_opportunity_id,
    -- a row without its Created date exists from the night it was first seen
    coalesce(created_at, first_seen_at) as created_at
from converted
