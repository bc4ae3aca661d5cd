-- The first known source a lead ever carried. Walk, in order: the OldValue of its earliest
-- LeadSource change, the NewValue of each change (in time order, ties by id), the current
-- LeadSource. If none is known, the linked Marketo lead's leadSource; else Unknown.
with source_changes as (
    select
        lead_id,
        change_order,
        old_value,
        new_value
    from {{ ref('int_lead_history') }}
    where field_name = 'LeadSource'
),

walk as (
    select
        lead_id,
        0 as walk_order,
        old_value as source_value
    from source_changes
    where change_order = 1
    union all
    select
        lead_id,
        change_order as walk_order,
        new_value as source_value
    from source_changes
    union all
    select
        lead_id,
        1000000000 as walk_order,
        lead_source as source_value
    from {{ ref('int_leads') }}
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

marketo_source as (
    select
        links.lead_id,
        {{ normalised_source('links.marketo_lead_source', 'aliases.canonical_source') }} as source_name
    from {{ ref('int_marketo_lead_links') }} as links
    left join {{ ref('int_source_aliases') }} as aliases
        on {{ alias_key('links.marketo_lead_source') }} = aliases.source_alias
)

select
    leads.lead_id,
    coalesce(
        first_known.source_name,
        case when marketo_source.source_name != 'Unknown' then marketo_source.source_name end,
        'Unknown'
    ) as original_source,
    case
        when first_known.source_name is not null then 'salesforce'
        when marketo_source.source_name != 'Unknown' then 'marketo'
        else 'none'
    end as original_source_origin
from {{ ref('int_leads') }} as leads
left join first_known
    on
        leads.lead_id = first_known.lead_id
        and first_known.known_order = 1
left join marketo_source
    on leads.lead_id = marketo_source.lead_id
