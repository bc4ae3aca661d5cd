-- What made each MQL an MQL: the latest form the linked marketing person filled out in the 30
-- days up to mql_at (ties: the later activity); else "Score Threshold" if its score changed at or
-- before mql_at; else Unknown.
with mqls as (
    select
        stages.lead_id,
        stages.mql_at,
        links.marketing_person_id
    from {{ ref('int_lead_stages') }} as stages
    left join {{ ref('int_marketing_links') }} as links
        on stages.lead_id = links.lead_id
    where stages.mql_at is not null and {{ lead_is_rebuilt('stages.lead_id') }}
),

activities as (
    select * from {{ ref('int_marketing_activities') }}
),

forms as (
    select
        mqls.lead_id,
        activities.form_name,
        row_number() over (
            partition by mqls.lead_id
            order by activities.activity_at desc, activities.activity_order desc
        ) as form_rank
    from mqls
    inner join activities
        on
            mqls.marketing_person_id = activities.marketing_person_id
            and activities.activity_kind = 'form'
            and mqls.mql_at >= activities.activity_at
            and activities.activity_at >= {{ dbt.dateadd('day', -30, 'mqls.mql_at') }}
),

score_changes as (
    select distinct mqls.lead_id
    from mqls
    inner join activities
        on
            mqls.marketing_person_id = activities.marketing_person_id
            and activities.activity_kind = 'score'
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
