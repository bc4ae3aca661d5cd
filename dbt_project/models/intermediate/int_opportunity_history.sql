-- Opportunity history rows that count: created at or before the as-of time and not deleted
-- (staging keeps the rows after the as-of too: the evidence `int_opportunities` rolls an
-- opportunity read after the as-of back with).
{{ config(materialized='view') }}
select * from {{ ref('stg_salesforce__opportunity_history') }}
where
    not is_deleted
    and created_at <= {{ as_of_timestamp() }}
