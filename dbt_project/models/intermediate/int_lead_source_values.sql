-- The lead sources each lead carried, in the order of the walk (lifecycle-semantics section 3),
-- of every source system (conformed `lead_source_values`).
{{ config(materialized='view') }}
{{ union_systems('lead_source_values') }}
