-- The lead sheet's rows in the night's read (what the snapshot `snapshot_sheet__leads` compares):
-- each lead row whose latest read is the latest read at or before the as-of. A lead staged from
-- an earlier read is no longer in the sheet (deleted, or its id changed). Owner e-mails are
-- matched as e-mails are (trimmed, lower case); a status as typed, trimmed.
-- Grain: one row per lead row of the night's read.
{{ config(materialized='table') }}

select
    lead_id,
    row_number,
    seen_at,
    created_at,
    lead_name,
    lower(trim(email)) as email,
    company,
    number_of_employees,
    trim(lead_source) as lead_source,
    trim(status) as status,
    lower(trim(owner_email)) as owner_email,
    mql_stamp,
    routed_stamp,
    first_touch_stamp,
    accepted_stamp,
    rejected_stamp,
    sql_stamp,
    opportunity_stamp,
    trim(rejection_reason) as rejection_reason,
    lead_score,
    opportunity_amount,
    upper(trim(opportunity_currency)) as opportunity_currency,
    trim(opportunity_stage) as opportunity_stage,
    opportunity_close_date
from {{ ref('stg_sheet__leads') }}
where seen_at = (select max(seen_at) from {{ ref('stg_sheet__leads') }})
