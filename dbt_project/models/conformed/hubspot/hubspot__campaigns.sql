-- HubSpot's campaigns (conformed `campaigns`): none. HubSpot's CRM API has no campaign
-- membership of contacts the lifecycle could read, so the campaign marts stay empty for a
-- portal and `mart_source_coverage` says so (contract section 4).
select
    cast(null as {{ dbt.type_string() }}) as campaign_id,
    'hubspot' as source_system,
    cast(null as {{ dbt.type_string() }}) as campaign_name,
    cast(null as {{ dbt.type_string() }}) as campaign_type
where false
