-- Each Salesforce lead's linked Marketo lead: the lowest Marketo id whose sfdcLeadId is the lead.
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
    marketo_lead_id,
    marketo_lead_source
from ranked
where link_rank = 1
