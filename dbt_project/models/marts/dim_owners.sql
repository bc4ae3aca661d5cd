-- One row per Salesforce user who can own leads: name, team and time zone for SLA and review
-- reporting. A rep's name is published (the SLA review names who owns what, DECISIONLOG 36);
-- no e-mail address, and nothing of the leads' own people.
select
    owner_id,
    owner_name,
    owner_team,
    time_zone as owner_time_zone,
    is_active
from {{ ref('int_owners') }}
