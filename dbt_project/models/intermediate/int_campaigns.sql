-- Campaigns (name, type) at the as-of time; a source system without campaigns has none, and
-- `mart_source_coverage` says whether campaign membership was available tonight.
select
    campaign_id,
    campaign_name,
    campaign_type
from {{ ref('stg_salesforce__campaigns') }}
