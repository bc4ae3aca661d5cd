-- What a lead sheet's snapshots know of each lead row's dates: each date column's latest value
-- the sheet gave it (a cleared cell or a renamed column does not unsay a date once read), the
-- night the row was first seen, last changed and first seen converted.
-- Grain: one row per lead row the snapshots hold.
{{ config(materialized='table') }}
{%- set stamps = ['mql', 'routed', 'first_touch', 'accepted', 'rejected', 'sql', 'opportunity'] %}

select
    lead_id,
    {%- for stage in stamps %}
        max({{ stage }}_date) as {{ stage }}_date,
    {%- endfor %}
    min(valid_from) as first_seen_at,
    max(valid_from) as modified_at,
    min(case when status_stage = 'converted' then valid_from end) as first_converted_at
from (
    select
        lead_id,
        valid_from,
        status_stage,
        {%- for stage in stamps %}
            first_value({{ stage }}_stamp) over (
                partition by lead_id order by {{ stage }}_stamp is null, valid_from desc
                rows between unbounded preceding and unbounded following
            ) as {{ stage }}_date
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref('sheet__lead_versions') }}
    where not is_deletion
) as dated
group by lead_id
