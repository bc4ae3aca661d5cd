-- Salesforce's opportunities (conformed `opportunities`): every opportunity that exists at the
-- as-of time, deleted ones flagged (`is_deleted`), as of it. Grain: one row per opportunity.
-- One read after the as-of (`_read_after_as_of`: the source held only a later version) is rolled
-- back as far as its history proves (docs/lifecycle.md, "A moving source"): stage, amount, close
-- date and probability are those of its latest history row at or before the as-of (each row
-- holds the values after its change); it is closed and won as opportunities in that stage are;
-- its loss reason stands only when it was lost by then; it is not deleted yet. Every other field
-- (source, next step, evidence fields) keeps its value as read.
-- A view: the roll-back reads only the opportunities read after the as-of.
{{ config(materialized='view') }}
with opportunities as (
    select * from {{ ref('stg_salesforce__opportunities') }}
),

history_at_as_of as (
    select
        opportunity_id,
        stage_name,
        amount,
        close_date,
        probability
    from (
        select
            *,
            row_number() over (
                partition by opportunity_id order by created_at desc, opportunity_history_id desc
            ) as recency
        from {{ ref('salesforce__opportunity_history') }}
        where opportunity_id in (
            select opportunities.opportunity_id from opportunities
            where opportunities._read_after_as_of
        )
    ) as history
    where recency = 1
),

-- whether a stage is closed, and won, as the org's opportunities in it say
stage_outcomes as (
    select
        stage_name,
        bool_or(is_closed) as is_closed,
        bool_or(is_won) as is_won
    from opportunities
    group by stage_name
),

read_after_as_of as (
    select
        opportunities.*,
        history.stage_name as stage_name_at_as_of,
        history.amount as amount_at_as_of,
        history.close_date as close_date_at_as_of,
        history.probability as probability_at_as_of,
        history.opportunity_id is not null as has_history,
        coalesce(outcomes.is_closed, false) as closed_at_as_of,
        coalesce(outcomes.is_won, false) as won_at_as_of
    from opportunities
    left join history_at_as_of as history on opportunities.opportunity_id = history.opportunity_id
    left join stage_outcomes as outcomes on history.stage_name = outcomes.stage_name
    where opportunities._read_after_as_of
),

{%- set replacements = {'is_deleted': 'false'} %}
{%- for column in ['stage_name', 'amount', 'close_date', 'probability'] %}
    {%- do replacements.update({column: 'case when has_history then ' ~ column ~ '_at_as_of else '
        ~ column ~ ' end'}) %}
{%- endfor %}
{%- for column in ['is_closed', 'is_won'] %}
    {%- do replacements.update({column: 'case when has_history then '
        ~ column | replace('is_', '') ~ '_at_as_of else ' ~ column ~ ' end'}) %}
{%- endfor %}
{%- do replacements.update({'loss_reason':
    'case when not has_history or (closed_at_as_of and not won_at_as_of) then loss_reason end'}) %}


as_of_opportunities as (
    select * from opportunities
    where not _read_after_as_of
    union all
    select {{ columns_replacing(ref('stg_salesforce__opportunities'), replacements) }}
    from read_after_as_of
)

select
    opportunity_id,
    'salesforce' as source_system,
    opportunity_name,
    account_id,
    owner_id,
    stage_name,
    amount,
    currency_iso_code,
    probability,
    loss_reason,
    close_date,
    lead_source,
    campaign_id,
    next_step,
    business_problem,
    use_case,
    opportunity_type,
    is_closed,
    is_won,
    is_deleted,
    created_at,
    system_modstamp as modified_at
from as_of_opportunities
