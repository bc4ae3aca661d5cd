-- One row per opportunity that exists at the as-of time and is not deleted, with the evidence
-- the opportunity-creation criteria ask for.
with opportunities as (
    select * from {{ ref('stg_salesforce__opportunities') }}
    where not is_deleted
)

select
    opportunities.opportunity_id,
    opportunities.account_id,
    opportunities.owner_id,
    opportunities.stage_name,
    opportunities.amount,
    opportunities.close_date,
    {{ normalised_source('opportunities.lead_source', 'aliases.canonical_source') }} as opportunity_source,
    opportunities.opportunity_type,
    opportunities.is_closed,
    opportunities.is_won,
    opportunities.created_at,
    cast({{ dbt.date_trunc('month', 'opportunities.created_at') }} as date) as created_month,
    not{{ is_blank('opportunities.next_step') }} as has_next_step,
    not opportunities.is_closed as is_open,
    {{ is_blank('opportunities.next_step') }} as is_missing_next_step,
    (
        {{ is_blank('opportunities.business_problem') }}
        or {{ is_blank('opportunities.use_case') }}
        or opportunities.amount is null
        or opportunities.close_date is null
        or {{ normalised_source('opportunities.lead_source', 'aliases.canonical_source') }} = 'Unknown'
    ) as is_missing_evidence
from opportunities
left join {{ ref('stg_policy__source_aliases') }} as aliases
    on {{ alias_key('opportunities.lead_source') }} = aliases.source_alias
