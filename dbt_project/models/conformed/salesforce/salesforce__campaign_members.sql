-- Salesforce's campaign memberships (conformed `campaign_members`) that count at the as-of time
-- (not deleted): which lead, which campaign, whether it responded, when it was created.
-- Grain: one row per CampaignMember.
select
    campaign_member_id,
    'salesforce' as source_system,
    campaign_id,
    lead_id,
    has_responded,
    created_at
from {{ ref('stg_salesforce__campaign_members') }}
where not is_deleted
