-- A lead sheet's marketing links (conformed `marketing_links`): none. A sheet has no marketing
-- system beside it; a lead's source is its Source column.
select
    cast(null as {{ dbt.type_string() }}) as lead_id,
    'sheet' as source_system,
    cast(null as {{ dbt.type_string() }}) as marketing_person_id,
    cast(null as {{ dbt.type_string() }}) as marketing_source
where false
