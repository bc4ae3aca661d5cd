-- The lead universe: every Salesforce lead that exists at the as-of time and is not deleted
-- (merged-away leads are deleted, so they drop out), with the lifecycle stage its Status maps to
-- in the org's picklist (seed `lead_status_stages`; null when the value is not mapped).
-- A view: a filter and a seed lookup that each reader's query folds in, cheaper than a
-- million-row copy every night.
{{ config(materialized='view') }}
select
    leads.*,
    stages.lifecycle_stage as status_stage
from {{ ref('stg_salesforce__leads') }} as leads
left join {{ ref('lead_status_stages') }} as stages
    on leads.status = stages.status
where not leads.is_deleted
