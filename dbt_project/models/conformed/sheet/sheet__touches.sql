-- A lead sheet's touches (conformed `touches`): none. A sheet logs no activities; its First Touch
-- Date column is the first touch (a stamp, `sheet__leads`), and `mart_source_coverage` says so.
select
    cast(null as {{ dbt.type_string() }}) as lead_id,
    'sheet' as source_system,
    cast(null as {{ dbt.type_string() }}) as activity_id,
    cast(null as timestamp) as touched_at,
    cast(null as timestamp) as modified_at
where false
