-- Status changes to a lifecycle stage at or before the as-of time, of every source system
-- (conformed `lead_stage_events`).
{{ config(materialized='view') }}
{{ union_systems('lead_stage_events') }}
