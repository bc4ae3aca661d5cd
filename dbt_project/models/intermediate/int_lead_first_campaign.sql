-- The campaign that first touched each lead: the CampaignId of its earliest campaign membership
-- (not deleted, by CreatedDate, ties by membership id). One row per lead with a membership.
with ranked as (
    select
        lead_id,
        campaign_id,
        row_number() over (partition by lead_id order by created_at, campaign_member_id) as membership_order
    from {{ ref('int_campaign_members') }}
    where lead_id is not null and {{ lead_is_rebuilt('lead_id') }}
)

select
    lead_id,
    campaign_id as first_campaign_id
from ranked
where membership_order = 1
