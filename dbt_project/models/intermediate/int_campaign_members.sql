-- Campaign memberships that count at the as-of time (not deleted): which lead, which campaign,
-- whether it responded, when it was created.
select
    campaign_member_id,
    campaign_id,
    lead_id,
    has_responded,
    created_at
from {{ ref('stg_salesforce__campaign_members') }}
where not is_deleted
