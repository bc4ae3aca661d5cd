-- The lead universe: every lead that exists at the as-of time and is not deleted, of every
-- source system (conformed `leads`), with the lifecycle stage its status maps to.
-- A view: each reader's query folds the union in.
{{ config(materialized='view') }}
{{ union_systems('leads') }}
