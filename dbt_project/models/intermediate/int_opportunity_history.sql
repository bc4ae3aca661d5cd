-- Opportunity history rows at or before the as-of time, each holding the values after its change,
-- of every source system (conformed `opportunity_history`).
{{ config(materialized='view') }}
{{ union_systems('opportunity_history') }}
