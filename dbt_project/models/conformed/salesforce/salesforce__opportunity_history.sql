-- Salesforce's opportunity history (conformed `opportunity_history`): OpportunityHistory rows
-- that count, created at or before the as-of time and not deleted (staging keeps the rows after
-- the as-of too: the evidence `salesforce__opportunities` rolls an opportunity read after the
-- as-of back with). Each row holds the values after its change. Grain: one row per history row.
{{ config(materialized='view') }}
select
    opportunity_history_id,
    'salesforce' as source_system,
    opportunity_id,
    stage_name,
    amount,
    close_date,
    probability,
    created_at
from {{ ref('stg_salesforce__opportunity_history') }}
where
    not is_deleted
    and created_at <= {{ as_of_timestamp() }}
