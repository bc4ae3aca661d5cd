-- HubSpot's opportunities (conformed `opportunities`, contract section 4): every deal that exists
-- at the as-of time, archived ones flagged deleted. Stage, amount, close date and probability
-- are the latest history entry at or before the as-of; unset when the history holds entries of
-- it, all later; the value as read when it holds none; the stage name is the pipeline stage's
-- label, closed and won from its metadata; the close date is the UTC date of `closedate`; the
-- probability a percentage, as Salesforce's.
-- Grain: one row per deal.
{{ config(materialized='table') }}
with portal as (
    select max(company_currency) as company_currency from {{ ref('stg_hubspot__account') }}
),

deals as (
    select * from {{ ref('stg_hubspot__deals') }}
    where created_at <= {{ as_of_timestamp() }}
),

values_at_as_of as (
    {{ hubspot_values_at_as_of(ref('stg_hubspot__deals_history'), {
        'stage_id': 'dealstage',
        'amount': 'amount',
        'close_date': 'closedate',
        'probability': 'hs_deal_stage_probability',
    }) | indent(4) }}
),

as_of as (
    select
        deals.*,
        {%- for column, name in {'stage_id': 'dealstage', 'amount': 'amount', 'close_date': 'closedate',
            'probability': 'hs_deal_stage_probability'}.items() %}
            nullif(
                case
                    when values_at_as_of.{{ column }}_known then values_at_as_of.{{ column }}
                    else {{ hubspot_property(name, 'deals.properties') }}
                end,
                ''
            ) as {{ column }}_at_as_of
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from deals
    left join values_at_as_of on deals.deal_id = values_at_as_of.object_id
)

select
    as_of.deal_id as opportunity_id,
    'hubspot' as source_system,
    {{ hubspot_property('dealname', 'as_of.properties') }} as opportunity_name,
    cast(null as {{ dbt.type_string() }}) as account_id,
    nullif({{ hubspot_property('hubspot_owner_id', 'as_of.properties') }}, '') as owner_id,
    stages.stage_name,
    cast(as_of.amount_at_as_of as decimal(18, 2)) as amount,
    coalesce(
        nullif(trim({{ hubspot_property('deal_currency_code', 'as_of.properties') }}), ''), portal.company_currency
    )
        as currency_iso_code,
    100 * cast(as_of.probability_at_as_of as double precision) as probability,
    {{ hubspot_property('closed_lost_reason', 'as_of.properties') }} as loss_reason,
    cast({{ parse_instant('as_of.close_date_at_as_of') }} as date) as close_date,
    {{ hubspot_property('lead_source', 'as_of.properties') }} as lead_source,
    cast(null as {{ dbt.type_string() }}) as campaign_id,
    {{ hubspot_property('hs_next_step', 'as_of.properties') }} as next_step,
    {{ hubspot_property('business_problem', 'as_of.properties') }} as business_problem,
    {{ hubspot_property('use_case', 'as_of.properties') }} as use_case,
    {{ hubspot_property('dealtype', 'as_of.properties') }} as opportunity_type,
    coalesce(stages.is_closed, false) as is_closed,
    coalesce(stages.is_won, false) as is_won,
    {{ hubspot_archived_by_as_of('as_of') }} as is_deleted,
    as_of.created_at,
    as_of.updated_at as modified_at
from as_of
left join {{ ref('hubspot__deal_stages') }} as stages
    on
        {{ hubspot_property('pipeline', 'as_of.properties') }} = stages.pipeline_id
        and as_of.stage_id_at_as_of = stages.stage_id
cross join portal
