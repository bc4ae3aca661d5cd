-- One row per Salesforce user who can own leads: team and time zone for SLA and review
-- reporting. No names or e-mail addresses are published.
select
    user_id as owner_id,
    department as owner_team,
    time_zone as owner_time_zone,
    is_active
from {{ ref('stg_salesforce__users') }}
