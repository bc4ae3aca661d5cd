-- A lead sheet's opportunity history (conformed `opportunity_history`): none. A sheet's
-- opportunity columns hold the current stage, amount and close date only, so close-date pushes
-- and stage durations are not known for it; `mart_source_coverage` says so.
select
    cast(null as {{ dbt.type_string() }}) as opportunity_history_id,
    'sheet' as source_system,
    cast(null as {{ dbt.type_string() }}) as opportunity_id,
    cast(null as {{ dbt.type_string() }}) as stage_name,
    cast(null as decimal(18, 2)) as amount,
    cast(null as date) as close_date,
    cast(null as double precision) as probability,
    cast(null as timestamp) as created_at
where false
