-- Salesforce's marketing links (conformed `marketing_links`): each lead's linked Marketo lead,
-- the lowest Marketo id whose sfdcLeadId is the lead, with Marketo's own lead source.
-- Grain: one row per linked Salesforce lead.
{{ config(materialized='table') }}
with ranked as (
    select
        sfdc_lead_id as lead_id,
        marketo_lead_id,
        lead_source as marketo_lead_source,
        row_number() over (partition by sfdc_lead_id order by marketo_lead_id) as link_rank
    from {{ ref('stg_marketo__leads') }}
    where sfdc_lead_id is not null
)

select
    lead_id,
    'salesforce' as source_system,
    cast(marketo_lead_id as {{ dbt.type_string() }}) as marketing_person_id,
    marketo_lead_source as marketing_source
from ranked
where link_rank = 1
