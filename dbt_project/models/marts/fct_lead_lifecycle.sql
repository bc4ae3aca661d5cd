-- One row per lead in the universe (exists at the as-of time, not deleted): its lifecycle
-- stages, recycling and re-MQLs, sources and first campaign, segment, opportunity, outcome (the
-- first that holds: won, lost, open_opportunity, recycled, rejected, in_funnel, not_mql) and the
-- flags the data-quality controls count; whether its MQL month is mature (seed cohort_maturity).
-- No personal data: the e-mail key is published only as a hash.
with leads as (
    select * from {{ ref('int_leads') }}
    -- an MQL month not yet mature matures with the as-of alone
    where {{ lead_is_rebuilt('lead_id', also='select lead_id from ' ~ this ~ ' where not is_mql_month_mature') }}
),

stages as (
    select * from {{ ref('int_lead_stages') }}
),

opportunities as (
    select * from {{ ref('int_opportunities') }}
    where not is_deleted
),

users as (
    select * from {{ ref('int_owners') }}
),

enriched as (
    select
        leads.lead_id,
        leads.created_at,
        cast({{ dbt.date_trunc('month', 'leads.created_at') }} as date) as cohort_month,
        original.original_source,
        {{ normalised_source('leads.lead_source', 'latest_aliases.canonical_source') }} as latest_source,
        coalesce(segments.segment, 'Unknown') as segment,
        leads.status,
        leads.status_stage,
        leads.owner_id,
        stages.mql_at,
        stages.routed_at,
        stages.routed_owner_id,
        stages.first_touch_at,
        stages.accepted_at,
        stages.rejected_at,
        case
            when stages.rejected_at is not null
                then {{ normalised_reason('leads.rejection_reason', 'reasons.canonical_reason') }}
        end as rejection_reason,
        stages.sql_at,
        (
            stages.sql_at is not null
            or coalesce(leads.status_stage in ('sql', 'converted'), false)
            or leads.is_converted
        ) as reached_sql,
        leads.sql_stamped_at is null as sql_stamp_missing,
        stages.mql_at is not null as is_mql,
        leads.is_converted,
        case when leads.is_converted then opportunities.opportunity_id end as opportunity_id,
        case when leads.is_converted then opportunities.created_at end as opportunity_created_at,
        case when leads.is_converted then opportunities.amount end as opportunity_amount,
        case when leads.is_converted then opportunities.is_won end as opportunity_is_won,
        case when leads.is_converted then opportunities.is_closed end as opportunity_is_closed,
        stages.mql_history_count,
        stages.latest_mql_history_at,
        stages.recycled_at,
        stages.re_mql_at,
        first_campaigns.first_campaign_id,
        case
            when leads.is_converted and opportunities.opportunity_id is not null
                then {{ normalised_source('opportunities.lead_source', 'opportunity_aliases.canonical_source') }}
        end as opportunity_source,
        triggers.mql_trigger,
        case
            when not {{ is_blank('leads.email') }} then lower({{ clean_text('leads.email') }})
        end as email_key,
        coalesce(owners.is_active = false, false) as is_owner_inactive
    from leads
    inner join stages on leads.lead_id = stages.lead_id
    left join {{ ref('int_lead_original_source') }} as original
        on leads.lead_id = original.lead_id
    left join {{ ref('int_source_aliases') }} as latest_aliases
        on {{ alias_key('leads.lead_source') }} = latest_aliases.source_alias
    left join {{ ref('rejection_reason_aliases') }} as reasons
        on {{ alias_key('leads.rejection_reason') }} = reasons.reason_alias
    left join {{ ref('segments') }} as segments
        on
            leads.number_of_employees is not null
            and (segments.min_employees is null or leads.number_of_employees >= segments.min_employees)
            and (segments.max_employees is null or leads.number_of_employees <= segments.max_employees)
    left join opportunities
        on leads.converted_opportunity_id = opportunities.opportunity_id
    left join {{ ref('int_source_aliases') }} as opportunity_aliases
        on {{ alias_key('opportunities.lead_source') }} = opportunity_aliases.source_alias
    left join {{ ref('int_lead_mql_trigger') }} as triggers
        on leads.lead_id = triggers.lead_id
    left join {{ ref('int_lead_first_campaign') }} as first_campaigns
        on leads.lead_id = first_campaigns.lead_id
    left join users as owners
        on leads.owner_id = owners.owner_id
),

-- of every lead, rebuilt tonight or not (a lead's flag moves with the others of its e-mail)
email_groups as (
    select lower({{ clean_text('leads.email') }}) as email_key
    from {{ ref('int_leads') }} as leads
    inner join stages on leads.lead_id = stages.lead_id
    where not {{ is_blank('leads.email') }}
    group by lower({{ clean_text('leads.email') }})
    having count(*) > 1 and count(distinct stages.routed_owner_id) >= 2
)

select
    enriched.lead_id,
    enriched.created_at,
    enriched.cohort_month,
    enriched.original_source,
    enriched.latest_source,
    enriched.segment,
    enriched.status,
    enriched.status_stage,
    enriched.owner_id,
    enriched.mql_at,
    enriched.routed_at,
    enriched.routed_owner_id,
    enriched.first_touch_at,
    enriched.accepted_at,
    enriched.rejected_at,
    enriched.rejection_reason,
    enriched.sql_at,
    enriched.reached_sql,
    enriched.reached_sql and enriched.sql_stamp_missing as sql_date_missing,
    enriched.is_mql,
    case when enriched.is_mql then greatest(enriched.mql_history_count, 1) else 0 end as mql_count,
    coalesce(enriched.latest_mql_history_at, enriched.mql_at) as latest_mql_at,
    {{ cohort_is_mature("date_trunc('month', enriched.mql_at)", 'mql_month') }} as is_mql_month_mature,
    enriched.recycled_at,
    enriched.recycled_at is not null as is_recycled,
    enriched.re_mql_at,
    enriched.first_campaign_id,
    case
        when coalesce(enriched.opportunity_is_won, false) then 'won'
        when coalesce(enriched.opportunity_is_closed, false) then 'lost'
        when enriched.opportunity_id is not null then 'open_opportunity'
        when enriched.status_stage = 'nurture' and enriched.recycled_at is not null then 'recycled'
        when enriched.status_stage = 'rejected' then 'rejected'
        when enriched.is_mql or enriched.accepted_at is not null or enriched.reached_sql then 'in_funnel'
        else 'not_mql'
    end as outcome,
    enriched.opportunity_id,
    enriched.opportunity_created_at,
    enriched.opportunity_amount,
    enriched.opportunity_id is not null as is_opportunity,
    enriched.mql_trigger,
    enriched.is_converted,
    enriched.opportunity_source,
    coalesce(enriched.opportunity_is_won, false) as opportunity_is_won,
    {{ dbt.hash('enriched.email_key') }} as email_key_hash,
    email_groups.email_key is not null as is_duplicate_multiple_owners,
    enriched.is_owner_inactive,
    (
        coalesce(enriched.status_stage, '') not in ('converted', 'rejected')
        and not enriched.is_converted
    ) as is_open_lead,
    enriched.status is not null and enriched.status_stage is null as is_status_unmapped,
    coalesce(enriched.opportunity_source != enriched.original_source, false) as is_opportunity_source_overwritten,
    enriched.original_source = 'Unknown' as is_source_unknown,
    enriched.email_key is not null as has_email_key,
    enriched.rejected_at is not null as is_rejected,
    coalesce(enriched.rejection_reason = 'Other', false) as is_rejection_reason_other,
    coalesce(enriched.rejection_reason = 'Missing', false) as is_rejection_reason_missing
from enriched
left join email_groups on enriched.email_key = email_groups.email_key
