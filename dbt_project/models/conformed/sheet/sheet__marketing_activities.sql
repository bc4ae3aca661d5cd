-- A lead sheet's marketing activities (conformed `marketing_activities`): none (no marketing
-- system: the MQL trigger of a sheet lead is not known).
select
    cast(null as {{ dbt.type_string() }}) as marketing_person_id,
    'sheet' as source_system,
    cast(null as {{ dbt.type_string() }}) as activity_id,
    cast(null as bigint) as activity_order,
    cast(null as timestamp) as activity_at,
    cast(null as {{ dbt.type_string() }}) as activity_kind,
    cast(null as {{ dbt.type_string() }}) as form_name
where false
