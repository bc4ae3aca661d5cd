-- Salesforce's touches (conformed `touches`): every task logged against a lead; a call or e-mail
-- that is not deleted touches the lead at its creation, any other task is no touch but still
-- tells when the lead's tasks last changed. Grain: one row per task with a WhoId.
select
    who_id as lead_id,
    'salesforce' as source_system,
    task_id as activity_id,
    system_modstamp as modified_at,
    case when not is_deleted and task_subtype in ('Call', 'Email') then created_at end as touched_at
from {{ ref('stg_salesforce__tasks') }}
where who_id is not null
