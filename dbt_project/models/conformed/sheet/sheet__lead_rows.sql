-- The lead sheet's rows in the night's read (what the snapshot `snapshot_sheet__leads` compares;
-- `sheet_night_read`). A lead staged from an earlier read is no longer in the sheet (deleted, or
-- its id changed). Owner e-mails are
-- matched as e-mails are (trimmed, lower case); a status as typed, trimmed.
-- Grain: one row per lead row of the night's read.
{{ config(materialized='table') }}

with night_read as (
    {{ sheet_night_read('stg_sheet__leads') }}
)

select
    lead_id,
    row_number,
    seen_at,
    created_at,
    lead_name,
    company,
    number_of_employees,
    mql_stamp,
    routed_stamp,
    first_touch_stamp,
    accepted_stamp,
    rejected_stamp,
    sql_stamp,
    opportunity_stamp,
    lead_score,
    opportunity_amount,
    opportunity_close_date,
    opportunity_next_step,
    opportunity_business_problem,
    opportunity_use_case,
    lower(trim(email)) as email,
    trim(lead_source) as lead_source,
    trim(status) as status,
    lower(trim(owner_email)) as owner_email,
    trim(rejection_reason) as rejection_reason,
    upper(trim(opportunity_currency)) as opportunity_currency,
    trim(opportunity_stage) as opportunity_stage
from night_read
