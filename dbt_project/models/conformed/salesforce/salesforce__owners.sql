-- Salesforce's owners (conformed `owners`): every user as of the as-of time, with its department
-- as team and its own time zone, inactive since its first inactive version. Grain: one row per user.
select
    users.user_id as owner_id,
    'salesforce' as source_system,
    users.user_name as owner_name,
    users.email as owner_email,
    users.department as owner_team,
    users.time_zone,
    users.is_active,
    inactive.inactive_since
from {{ ref('stg_salesforce__users') }} as users
left join {{ ref('salesforce__user_inactive_since') }} as inactive on users.user_id = inactive.user_id
