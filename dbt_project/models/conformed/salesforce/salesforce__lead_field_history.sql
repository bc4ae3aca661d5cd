-- Salesforce LeadHistory rows that count (the evidence its conformed stage events, routings and
-- source walk are read from): created at or before the as-of time and not deleted (staging
-- keeps the rows after the as-of too: the evidence `int_leads` rolls a lead read after it back with).
-- `change_order` orders a lead's changes of one field (ties broken by id).
-- A view: each reader keeps one field's changes, and DuckDB filters before it numbers them,
-- cheaper than a copy of every history row every night.
{{ config(materialized='view') }}
select
    lead_history_id,
    lead_id,
    field_name,
    old_value,
    new_value,
    created_at,
    row_number() over (
        partition by lead_id, field_name
        order by created_at, lead_history_id
    ) as change_order
from {{ ref('stg_salesforce__lead_history') }}
where
    not is_deleted
    and created_at <= {{ as_of_timestamp() }}
