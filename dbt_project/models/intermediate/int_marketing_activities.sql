-- Form fills and score changes of marketing persons, of every source system (conformed
-- `marketing_activities`).
{{ config(materialized='view') }}
{{ union_systems('marketing_activities') }}
