-- Activities logged against leads (calls and e-mails touch a lead), of every source system
-- (conformed `touches`).
{{ config(materialized='view') }}
{{ union_systems('touches') }}
