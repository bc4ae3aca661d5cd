-- What made each MQL an MQL: the latest form the linked Marketo lead filled out in the 30 days
-- up to mql_at (ties: highest activity id); else "Score Threshold" if its score changed at or
-- before mql_at; else Unknown.
with mqls as (
    select
        stages.lead_id,
        stages.mql_at,
        links.marketo_lead_id
    from {{ ref('int_lead_stages') }} as stages
    left join {{ ref('int_marketo_lead_links') }} as links
        on stages.lead_id = links.lead_id
    where stages.mql_at is not null
),

activities as (
    select
        activities.activity_id,
        activities.marketo_lead_id,
        activities.activity_at,
        activities.primary_attribute_value,
        types.activity_type_name
    from {{ ref('stg_marketo__activities') }} as activities
    inner join {{ ref('stg_marketo__activity_types') }} as types
        on activities.activity_type_id = types.activity_type_id
    where types.activity_type_name in ('Fill Out Form', 'Change Score')
),

forms as (
    select
        mqls.lead_id,
        activities.primary_attribute_value as form_name,
        row_number() over (
            partition by mqls.lead_id
            order by activities.activity_at desc, activities.activity_id desc
        ) as form_rank
    from mqls
    inner join activities
        on
            mqls.marketo_lead_id = activities.marketo_lead_id
            and activities.activity_type_name = 'Fill Out Form'
            and mqls.mql_at >= activities.activity_at
            and activities.activity_at >= {{ dbt.dateadd('day', -30, 'mqls.mql_at') }}
),

score_changes as (
    select distinct mqls.lead_id
    from mqls
    inner join activities
        on
            mqls.marketo_lead_id = activities.marketo_lead_id
            and activities.activity_type_name = 'Change Score'
            and mqls.mql_at >= activities.activity_at
)

select
    mqls.lead_id,
    case
        when forms.lead_id is not null then forms.form_name
        when score_changes.lead_id is not null then 'Score Threshold'
        else 'Unknown'
    end as mql_trigger
from mqls
left join forms
    on
        mqls.lead_id = forms.lead_id
        and forms.form_rank = 1
left join score_changes
    on mqls.lead_id = score_changes.lead_id
