-- A lead sheet's campaigns (conformed `campaigns`): none. A sheet has no campaign membership, so
-- the campaign marts stay empty for it and `mart_source_coverage` says so.
select
    cast(null as {{ dbt.type_string() }}) as campaign_id,
    'sheet' as source_system,
    cast(null as {{ dbt.type_string() }}) as campaign_name,
    cast(null as {{ dbt.type_string() }}) as campaign_type
where false
