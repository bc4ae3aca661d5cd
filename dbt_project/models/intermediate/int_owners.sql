-- One row per person who can own leads and opportunities, as of the as-of time: name, e-mail,
-- team, time zone (for business-hour SLA clocks), whether active, and since when inactive. The
-- marts read owners here, never a source system's users.
select
    users.user_id as owner_id,
    users.user_name as owner_name,
    users.email as owner_email,
    users.department as owner_team,
    users.time_zone,
    users.is_active,
    inactive.inactive_since
from {{ ref('stg_salesforce__users') }} as users
left join {{ ref('int_user_inactive_since') }} as inactive on users.user_id = inactive.user_id
