-- Integrity of what the night loaded, one row per check with its failing count; the integrity
-- suite expects every count to be 0. Referential integrity lead -> opportunity -> account, history
-- -> lead, and freshness: every source object was extracted within `freshness_hours` of the run.
-- Deleted children are not judged: no mart uses them, and a real org keeps returning deleted
-- records (queryAll) whose parents were purged from its recycle bin.
-- A failing check names up to ten failing records and how many of them point at a parent that
-- was quarantined at extraction: those are known and counted by the control `records_quarantined`,
-- so they do not block the night (`blocking` excludes them); any other failing row does.
with leads as (
    select * from {{ ref('stg_salesforce__leads') }}
),

opportunities as (
    select * from {{ ref('stg_salesforce__opportunities') }}
),

quarantined as (
    select distinct record_id from {{ source('raw_meta', 'quarantine') }}
    where field is null
),

orphans as (
    select
        'converted lead -> opportunity' as check_name,
        leads.lead_id as record_id,
        leads.converted_opportunity_id as parent_id
    from leads
    where
        leads.is_converted
        and not leads.is_deleted
        and leads.converted_opportunity_id is not null
        and leads.converted_opportunity_id not in (select opportunities.opportunity_id from opportunities)
    union all
    select
        'opportunity -> account' as check_name,
        opportunities.opportunity_id as record_id,
        opportunities.account_id as parent_id
    from opportunities
    where
        opportunities.account_id is not null
        and not opportunities.is_deleted
        and opportunities.account_id not in (
            select accounts.account_id from {{ ref('stg_salesforce__accounts') }} as accounts
        )
    union all
    select
        'lead history -> lead' as check_name,
        history.lead_history_id as record_id,
        history.lead_id as parent_id
    from {{ ref('stg_salesforce__lead_history') }} as history
    where history.lead_id not in (select leads.lead_id from leads)
),

ranked as (
    select
        check_name,
        record_id,
        parent_id in (select quarantined.record_id from quarantined) as has_quarantined_parent,
        row_number() over (partition by check_name order by record_id) as sample_rank
    from orphans
),

checks as (
    select names.check_name
    from (
        values ('converted lead -> opportunity'), ('opportunity -> account'), ('lead history -> lead')
    ) as names (check_name)
),

loads as (
    select
        object as source_object,
        max(loaded_at) as last_loaded_at
    from {{ source('raw_meta', 'loads') }}
    group by object
),

measured as (
    select
        checks.check_name,
        count(ranked.record_id) as failing,
        count(case when ranked.has_quarantined_parent then 1 end) as failing_with_quarantined_parent,
        {{ dbt.listagg(
            "case when ranked.sample_rank <= 10 then ranked.record_id end", "', '", "order by ranked.record_id"
        ) }} as sample_record_ids
    from checks
    left join ranked on checks.check_name = ranked.check_name
    group by checks.check_name
    union all
    select
        'source object extracted in the last ' || {{ var('freshness_hours') }} || ' hours: ' || source_object
            as check_name,
        case
            when {{ minutes_between('last_loaded_at', dbt.current_timestamp()) }} > 60 * {{ var('freshness_hours') }}
                then 1
            else 0
        end as failing,
        0 as failing_with_quarantined_parent,
        null as sample_record_ids
    from loads
)

select
    check_name,
    failing,
    failing_with_quarantined_parent,
    sample_record_ids,
    failing - failing_with_quarantined_parent as blocking
from measured
