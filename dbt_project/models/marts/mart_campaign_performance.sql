-- One row per campaign: its members at the as-of time (not deleted) and how many responded; the
-- leads it touched first (their first campaign membership) and how far they went (MQL, SQL,
-- opportunity, won, pipeline in USD); and the opportunities it is the primary campaign of.
-- Membership counts are null when CampaignMember was not available tonight (mart_source_coverage).
with members as (
    select
        campaign_id,
        count(*) as members,
        count(case when has_responded then 1 end) as responded
    from {{ ref('int_campaign_members') }}
    group by campaign_id
),

opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

first_touch as (
    select
        leads.first_campaign_id as campaign_id,
        count(*) as first_touch_leads,
        count(case when leads.is_mql then 1 end) as first_touch_mqls,
        count(case when leads.reached_sql then 1 end) as first_touch_sqls,
        count(case when leads.is_opportunity then 1 end) as first_touch_opportunities,
        count(case when leads.outcome = 'won' then 1 end) as first_touch_won,
        sum(coalesce(opportunities.amount_usd, 0)) as first_touch_pipeline_amount_usd
    from {{ ref('fct_lead_lifecycle') }} as leads
    left join opportunities on leads.opportunity_id = opportunities.opportunity_id
    where leads.first_campaign_id is not null
    group by leads.first_campaign_id
),

primary_campaign as (
    select
        campaign_id,
        count(*) as primary_opportunities,
        sum(coalesce(amount_usd, 0)) as primary_pipeline_amount_usd,
        sum(case when is_won then coalesce(amount_usd, 0) else 0 end) as primary_won_amount_usd
    from opportunities
    where campaign_id is not null
    group by campaign_id
),

membership_known as (
    select is_available from {{ ref('mart_source_coverage') }}
    where source_object = 'salesforce.campaignmember'
),

campaign_ids as (
    select campaign_id from {{ ref('int_campaigns') }}
    union
    select campaign_id from members
    union
    select campaign_id from first_touch
    union
    select campaign_id from primary_campaign
)

select
    campaign_ids.campaign_id,
    campaigns.campaign_name,
    campaigns.campaign_type,
    -- without CampaignMember (skipped tonight) membership is not known: null, not 0
    case when (select membership_known.is_available from membership_known) then coalesce(members.members, 0) end
        as members,
    case when (select membership_known.is_available from membership_known) then coalesce(members.responded, 0) end
        as responded,
    coalesce(first_touch.first_touch_leads, 0) as first_touch_leads,
    coalesce(first_touch.first_touch_mqls, 0) as first_touch_mqls,
    coalesce(first_touch.first_touch_sqls, 0) as first_touch_sqls,
    coalesce(first_touch.first_touch_opportunities, 0) as first_touch_opportunities,
    coalesce(first_touch.first_touch_won, 0) as first_touch_won,
    coalesce(first_touch.first_touch_pipeline_amount_usd, 0) as first_touch_pipeline_amount_usd,
    coalesce(primary_campaign.primary_opportunities, 0) as primary_opportunities,
    coalesce(primary_campaign.primary_pipeline_amount_usd, 0) as primary_pipeline_amount_usd,
    coalesce(primary_campaign.primary_won_amount_usd, 0) as primary_won_amount_usd
from campaign_ids
left join {{ ref('int_campaigns') }} as campaigns on campaign_ids.campaign_id = campaigns.campaign_id
left join members on campaign_ids.campaign_id = members.campaign_id
left join first_touch on campaign_ids.campaign_id = first_touch.campaign_id
left join primary_campaign on campaign_ids.campaign_id = primary_campaign.campaign_id
