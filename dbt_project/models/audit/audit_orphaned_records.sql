-- One row per child record that exists at the as-of but whose parent is not in tonight's
-- staging: a converted lead whose opportunity, an opportunity whose account, a history row whose
-- lead is missing. An orphan is a finding, not a reason to stop the night: it is quarantined
-- (the control `records_quarantined` counts it, the run summary and the alert name it), it
-- reaches no lead-grain mart (every mart joins to its parent), and a later night that sees the
-- parent takes it back in. `reason` says why the parent is missing: quarantined at extraction
-- (raw_meta.quarantine says why), in raw but not existing at the as-of (not yet visible, e.g. a
-- replayed night), or never extracted (deleted and purged at the source, or not read yet).
-- Deleted children are not judged: no mart uses them, and a real org keeps returning deleted
-- records (queryAll) whose parents were purged from its recycle bin.
-- Children and parents are taken as of the as-of (a lead converted after it has no opportunity
-- yet); a history row's lead may be deleted (merged) and still be its parent.
-- Salesforce's checks: a HubSpot contact's deal is found through its associations, so a
-- converted contact has no deal id to miss.
with leads as (
    select * from {{ ref('salesforce__leads') }}
),

opportunities as (
    select * from {{ ref('salesforce__opportunities') }}
),

orphans as (
    select
        'converted lead -> opportunity' as check_name,
        'Lead' as object_name,
        'salesforce.lead' as source_object,
        'opportunity' as parent_table,
        leads.lead_id as record_id,
        leads.converted_opportunity_id as parent_id
    from leads
    where
        leads.is_converted
        and leads.converted_opportunity_id is not null
        and leads.converted_opportunity_id not in (select opportunities.opportunity_id from opportunities)
    union all
    select
        'opportunity -> account' as check_name,
        'Opportunity' as object_name,
        'salesforce.opportunity' as source_object,
        'account' as parent_table,
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
        'LeadHistory' as object_name,
        'salesforce.leadhistory' as source_object,
        'lead' as parent_table,
        history.lead_history_id as record_id,
        history.lead_id as parent_id
    from {{ ref('salesforce__lead_field_history') }} as history
    where history.lead_id not in (select staged.lead_id from {{ ref('stg_salesforce__leads') }} as staged)
),

-- the orphans' parents that raw holds (only theirs: raw holds every version ever received)
in_raw as (
    {%- for table in ['opportunity', 'account', 'lead'] %}
        select distinct
            '{{ table }}' as parent_table,
            record_id as parent_id
        from {{ source('salesforce', table) }}
        where
            record_id in (
                select orphans.parent_id from orphans
                where orphans.parent_table = '{{ table }}'
            )
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

quarantined as (
    select distinct record_id as parent_id from {{ source('raw_meta', 'quarantine') }}
    where field is null and record_id is not null
)

select
    orphans.check_name,
    orphans.object_name,
    orphans.source_object,
    orphans.record_id,
    orphans.parent_id,
    orphans.source_object || ' ' || orphans.record_id as record_key,
    'orphan (' || orphans.check_name || '): parent ' || coalesce(orphans.parent_id, '(none)') || ' '
    || case
        when orphans.parent_id in (select quarantined.parent_id from quarantined)
            then 'was quarantined at extraction'
        when
            exists (
                select 1 from in_raw
                where in_raw.parent_table = orphans.parent_table and in_raw.parent_id = orphans.parent_id
            )
            then 'does not exist at the as-of'
        else 'was not extracted'
    end as reason
from orphans
