-- Salesforce's campaigns (conformed `campaigns`) at the as-of time. Grain: one row per campaign.
select
    campaign_id,
    'salesforce' as source_system,
    campaign_name,
    campaign_type
from {{ ref('stg_salesforce__campaigns') }}
