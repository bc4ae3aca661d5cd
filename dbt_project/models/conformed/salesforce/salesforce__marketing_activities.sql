-- Salesforce's marketing activities (conformed `marketing_activities`): the Marketo activities an
-- MQL trigger reads, `Fill Out Form` (a form, its name) and `Change Score` (a score change), of
-- the Marketo lead. Grain: one row per activity.
select
    cast(activities.marketo_lead_id as {{ dbt.type_string() }}) as marketing_person_id,
    'salesforce' as source_system,
    cast(activities.activity_id as {{ dbt.type_string() }}) as activity_id,
    activities.activity_id as activity_order,
    activities.activity_at,
    case types.activity_type_name when 'Fill Out Form' then 'form' else 'score' end as activity_kind,
    case
        when types.activity_type_name = 'Fill Out Form' then activities.primary_attribute_value
    end as form_name
from {{ ref('stg_marketo__activities') }} as activities
inner join {{ ref('stg_marketo__activity_types') }} as types
    on activities.activity_type_id = types.activity_type_id
where types.activity_type_name in ('Fill Out Form', 'Change Score')
