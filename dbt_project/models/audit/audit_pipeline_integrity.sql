-- Integrity of what the night loaded, one row per check with its failing count; the integrity
-- suite expects every count to be 0. Referential integrity lead -> opportunity -> account, history
-- -> lead, and freshness: every source object was extracted within `freshness_hours` of the run.
with leads as (
    select * from {{ ref('stg_salesforce__leads') }}
),

opportunities as (
    select * from {{ ref('stg_salesforce__opportunities') }}
),

loads as (
    select
        object as source_object,
        max(loaded_at) as last_loaded_at
    from {{ source('raw_meta', 'loads') }}
    group by object
)

select
    'converted lead -> opportunity' as check_name,
    count(*) as failing
from leads
where
    leads.is_converted
    and leads.converted_opportunity_id is not null
    and leads.converted_opportunity_id not in (select opportunities.opportunity_id from opportunities)
union all
select
    'opportunity -> account' as check_name,
    count(*) as failing
from opportunities
where
    opportunities.account_id is not null
    and opportunities.account_id not in (
        select accounts.account_id from {{ ref('stg_salesforce__accounts') }} as accounts
    )
union all
select
    'lead history -> lead' as check_name,
    count(*) as failing
from {{ ref('stg_salesforce__lead_history') }} as history
where history.lead_id not in (select leads.lead_id from leads)
union all
select
    'source object extracted in the last ' || {{ var('freshness_hours') }} || ' hours: ' || source_object as check_name,
    case
        when {{ minutes_between('last_loaded_at', dbt.current_timestamp()) }} > 60 * {{ var('freshness_hours') }}
            then 1
        else 0
    end as failing
from loads
