-- Every opportunity that exists at the as-of time, deleted ones flagged (`is_deleted`), as of it,
-- of every source system (conformed `opportunities`).
{{ config(materialized='view') }}
{{ union_systems('opportunities') }}
