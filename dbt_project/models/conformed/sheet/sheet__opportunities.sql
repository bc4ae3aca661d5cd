-- A lead sheet's opportunities (conformed `opportunities`): a team without a CRM keeps its
-- opportunity on the lead's row (Opportunity Date, Amount, Currency, Stage, Close Date, Next Step,
-- Business Problem, Use Case), so each
-- converted row is one opportunity (`<lead id>/opportunity`), created at its opportunity date
-- (else the night the row was first seen converted). Closed when the stage says so (`Closed
-- Won`, `Closed Lost`, `Won`, `Lost`); an amount without a currency is in US dollars.
-- Grain: one row per converted lead row.
with leads as (
    select * from {{ ref('sheet__leads') }}
    where converted_opportunity_id is not null
),

rows_ as (
    select * from {{ ref('sheet__lead_rows') }}
),

stages as (
    select
        leads.converted_opportunity_id as opportunity_id,
        coalesce(rows_.company, rows_.lead_name, leads.lead_id) as opportunity_name,
        leads.owner_id,
        rows_.opportunity_stage as stage_name,
        lower(coalesce(rows_.opportunity_stage, '')) as stage_key,
        rows_.opportunity_amount as amount,
        coalesce(rows_.opportunity_currency, case when rows_.opportunity_amount is not null then 'USD' end)
            as currency_iso_code,
        rows_.opportunity_close_date as close_date,
        rows_.opportunity_next_step as next_step,
        rows_.opportunity_business_problem as business_problem,
        rows_.opportunity_use_case as use_case,
        leads.lead_source,
        coalesce(
            case when rows_.opportunity_stamp <= {{ as_of_timestamp() }} then rows_.opportunity_stamp end,
            cast(leads.converted_date as timestamp)
        ) as created_at,
        leads.modified_at
    from leads
    inner join rows_ on leads.lead_id = rows_.lead_id
)

select
    opportunity_id,
    'sheet' as source_system,
    opportunity_name,
    cast(null as {{ dbt.type_string() }}) as account_id,
    owner_id,
    stage_name,
    amount,
    currency_iso_code,
    cast(null as double precision) as probability,
    cast(null as {{ dbt.type_string() }}) as loss_reason,
    close_date,
    lead_source,
    cast(null as {{ dbt.type_string() }}) as campaign_id,
    next_step,
    business_problem,
    use_case,
    cast(null as {{ dbt.type_string() }}) as opportunity_type,
    stage_key in ('closed won', 'closed lost', 'won', 'lost') as is_closed,
    stage_key in ('closed won', 'won') as is_won,
    false as is_deleted,
    created_at,
    modified_at
from stages
