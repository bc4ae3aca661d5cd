-- One row per opportunity that exists at the as-of time and is not deleted: the evidence the
-- opportunity-creation criteria ask for, its money in USD (the dated rate of its currency in
-- effect on its close date, else on its creation date), its source (the original source of the
-- lead converted to it, else its own), and what happened after creation: close, cycle time,
-- close-date pushes, time in the current stage, stall (seed `opportunity_stall_days`, 30 days
-- for a stage not listed) and, when lost, the loss reason (seed `loss_reasons`).
with opportunities as (
    select * from {{ ref('int_opportunities') }}
    where not is_deleted
),

rates as (
    select
        opportunities.opportunity_id,
        min(rates.conversion_rate) as conversion_rate
    from opportunities
    inner join {{ ref('int_conversion_rates') }} as rates
        on
            opportunities.currency_iso_code = rates.iso_code
            and rates.start_date <= coalesce(opportunities.close_date, cast(opportunities.created_at as date))
            and (
                rates.next_start_date is null
                or coalesce(opportunities.close_date, cast(opportunities.created_at as date)) < rates.next_start_date
            )
    group by opportunities.opportunity_id
),

converted_from as (
    select
        leads.converted_opportunity_id as opportunity_id,
        original.original_source,
        row_number() over (partition by leads.converted_opportunity_id order by leads.lead_id) as lead_order
    from {{ ref('int_leads') }} as leads
    inner join {{ ref('int_lead_original_source') }} as original
        on leads.lead_id = original.lead_id
    where leads.converted_opportunity_id is not null
),

-- whether each source system's opportunity history was extracted tonight
history_coverage as (
    select
        is_available,
        split_part(source_object, '.', 1) as source_system
    from {{ ref('mart_source_coverage') }}
    where source_object in ({{ quoted_list(opportunity_history_objects().values()) }})
),

enriched as (
    select
        opportunities.*,
        facts.current_stage_entered_at,
        -- without its system's opportunity history (skipped tonight) pushes are not known: null, not 0
        case when history_coverage.is_available then facts.close_date_pushes end as close_date_pushes,
        case when opportunities.is_closed then facts.first_closed_at end as closed_at,
        case
            when opportunities.amount is null then null
            when opportunities.currency_iso_code = 'USD' then cast(opportunities.amount as double precision)
            else opportunities.amount / rates.conversion_rate
        end as amount_usd,
        coalesce(
            converted_from.original_source,
            {{ normalised_source('opportunities.lead_source', 'aliases.canonical_source') }}
        ) as source,
        {{ normalised_source('opportunities.lead_source', 'aliases.canonical_source') }} as opportunity_source,
        case
            when not opportunities.is_closed
                then {{ minutes_between('facts.current_stage_entered_at', as_of_timestamp()) }} / 1440.0
        end as days_in_current_stage,
        coalesce(stall.stall_days, 30) as stall_days,
        case
            when opportunities.is_closed and not opportunities.is_won
                then
                    case
                        when {{ is_blank('opportunities.loss_reason') }} then 'Missing'
                        else coalesce(reasons.loss_reason, trim(opportunities.loss_reason))
                    end
        end as loss_reason_normalised
    from opportunities
    left join {{ ref('int_opportunity_history_facts') }} as facts
        on opportunities.opportunity_id = facts.opportunity_id
    left join history_coverage on opportunities.source_system = history_coverage.source_system
    left join rates
        on opportunities.opportunity_id = rates.opportunity_id
    left join converted_from
        on opportunities.opportunity_id = converted_from.opportunity_id and converted_from.lead_order = 1
    left join {{ ref('int_source_aliases') }} as aliases
        on {{ alias_key('opportunities.lead_source') }} = aliases.source_alias
    left join {{ ref('opportunity_stall_days') }} as stall
        on opportunities.stage_name = stall.stage_name
    left join {{ ref('loss_reasons') }} as reasons
        on lower(trim(opportunities.loss_reason)) = lower(reasons.loss_reason)
)

select
    opportunity_id,
    account_id,
    owner_id,
    stage_name,
    amount,
    currency_iso_code,
    amount_usd,
    close_date,
    opportunity_source,
    source,
    opportunity_type,
    is_closed,
    is_won,
    created_at,
    cast({{ dbt.date_trunc('month', 'created_at') }} as date) as created_month,
    closed_at,
    case when closed_at is not null then {{ minutes_between('created_at', 'closed_at') }} / 1440.0 end as cycle_days,
    close_date_pushes,
    current_stage_entered_at,
    days_in_current_stage,
    coalesce(days_in_current_stage > stall_days, false) as is_stalled,
    loss_reason_normalised as loss_reason,
    campaign_id,
    not{{ is_blank('next_step') }} as has_next_step,
    not is_closed as is_open,
    {{ is_blank('next_step') }} as is_missing_next_step,
    (
        {{ is_blank('business_problem') }}
        or {{ is_blank('use_case') }}
        or amount is null
        or close_date is null
        or opportunity_source = 'Unknown'
    ) as is_missing_evidence,
    amount is not null as has_amount,
    amount is not null and amount_usd is null as is_amount_unconverted
from enriched
