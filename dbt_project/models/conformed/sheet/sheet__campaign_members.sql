-- A lead sheet's campaign memberships (conformed `campaign_members`): none (see `sheet__campaigns`).
select
    cast(null as {{ dbt.type_string() }}) as campaign_member_id,
    'sheet' as source_system,
    cast(null as {{ dbt.type_string() }}) as campaign_id,
    cast(null as {{ dbt.type_string() }}) as lead_id,
    cast(null as boolean) as has_responded,
    cast(null as timestamp) as created_at
where false
