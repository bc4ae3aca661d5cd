-- hist(S): the earliest time each lead's Status changed to S.
select
    lead_id,
    min(case when new_value = 'MQL' then created_at end) as mql_history_at,
    min(case when new_value = 'Accepted' then created_at end) as accepted_history_at,
    min(case when new_value = 'Rejected' then created_at end) as rejected_history_at,
    min(case when new_value = 'SQL' then created_at end) as sql_history_at
from {{ ref('int_lead_history') }}
where field_name = 'Status'
group by lead_id
