-- The first known source a lead ever carried. Walk, in order: the source values its history
-- shows (`int_lead_source_values`: in Salesforce the OldValue of its earliest LeadSource change,
-- then the NewValue of each change), the current lead source. If none is known, the linked
-- marketing person's source (Marketo's leadSource, HubSpot's original source); else Unknown.
with walk as (
    select
        lead_id,
        walk_order,
        source_value
    from {{ ref('int_lead_source_values') }}
    where {{ lead_is_rebuilt('lead_id') }}
    union all
    select
        lead_id,
        1000000000 as walk_order,
        lead_source as source_value
    from {{ ref('int_leads') }}
    where {{ lead_is_rebuilt('lead_id') }}
),

normalised as (
    select
        walk.lead_id,
        walk.walk_order,
        {{ normalised_source('walk.source_value', 'aliases.canonical_source') }} as source_name
    from walk
    left join {{ ref('int_source_aliases') }} as aliases
        on {{ alias_key('walk.source_value') }} = aliases.source_alias
),

first_known as (
    select
        lead_id,
        source_name,
        row_number() over (partition by lead_id order by walk_order) as known_order
    from normalised
    where source_name != 'Unknown'
),

marketing_source as (
    select
        links.lead_id,
        {{ normalised_source('links.marketing_source', 'aliases.canonical_source') }} as source_name
    from {{ ref('int_marketing_links') }} as links
    left join {{ ref('int_source_aliases') }} as aliases
        on {{ alias_key('links.marketing_source') }} = aliases.source_alias
)

select
    leads.lead_id,
    coalesce(
        first_known.source_name,
        case when marketing_source.source_name != 'Unknown' then marketing_source.source_name end,
        'Unknown'
    ) as original_source,
    case
        when first_known.source_name is not null then 'crm'
        when marketing_source.source_name != 'Unknown' then 'marketing'
        else 'none'
    end as original_source_origin
from {{ ref('int_leads') }} as leads
left join first_known
    on
        leads.lead_id = first_known.lead_id
        and first_known.known_order = 1
left join marketing_source
    on leads.lead_id = marketing_source.lead_id
where {{ lead_is_rebuilt('leads.lead_id') }}
