-- One row per lead the warehouse has seen: a digest of every row the lead-grain models read for
-- it, and the dbt run in which that digest last changed (what tells an incremental lead-grain
-- model to rebuild the lead: macros/lead_rebuilds.sql). A lead that left the universe (deleted,
-- merged away, not yet created at a replayed as-of) keeps a row with a null digest.
-- Incremental: a build writes only the leads whose digest changed, appeared or went.
{{ config(
    materialized='incremental',
    unique_key='lead_id',
    incremental_strategy='delete+insert'
) }}

with leads as (
    select * from {{ ref('int_leads') }}
),

routings as (
    {{ union_systems('lead_routings') }}
),

links as (
    select * from {{ ref('int_marketing_links') }}
),

-- the lead's owner and every owner a routing gave it
lead_owners as (
    select
        lead_id,
        owner_id
    from leads
    union
    select
        lead_id,
        routed_owner_id
    from routings
),

inputs as (
    select leads.lead_id, {{ row_hash('leads') }} as row_hash from leads
    union all
    select events.lead_id, {{ row_hash('events') }} from {{ ref('int_lead_stage_events') }} as events
    union all
    select routings.lead_id, {{ row_hash('routings') }} from routings
    union all
    select source_values.lead_id, {{ row_hash('source_values') }}
    from {{ ref('int_lead_source_values') }} as source_values
    union all
    select touches.lead_id, {{ row_hash('touches') }} from {{ ref('int_touches') }} as touches
    union all
    select links.lead_id, {{ row_hash('links') }} from links
    union all
    select links.lead_id, {{ row_hash('activities') }}
    from links
    inner join {{ ref('int_marketing_activities') }} as activities
        on links.marketing_person_id = activities.marketing_person_id
    union all
    select members.lead_id, {{ row_hash('members') }}
    from {{ ref('int_campaign_members') }} as members
    union all
    select leads.lead_id, {{ row_hash('opportunities') }}
    from leads
    inner join {{ ref('int_opportunities') }} as opportunities
        on leads.converted_opportunity_id = opportunities.opportunity_id
    union all
    select lead_owners.lead_id, {{ row_hash('owners') }}
    from lead_owners
    inner join {{ ref('int_owners') }} as owners on lead_owners.owner_id = owners.owner_id
),

own as (
    select
        inputs.lead_id,
        sum(inputs.row_hash) as digest
    from inputs
    where inputs.lead_id in (select leads.lead_id from leads)
    group by inputs.lead_id
),

-- a lead's duplicate flag (fct_lead_lifecycle) moves with the other leads of its e-mail: each
-- lead's digest takes in its e-mail group's
emails as (
    select
        lead_id,
        lower({{ clean_text('email') }}) as email_key
    from leads
    where not {{ is_blank('email') }}
),

email_groups as (
    select
        emails.email_key,
        sum(own.digest) as digest
    from emails
    inner join own on emails.lead_id = own.lead_id
    group by emails.email_key
),

digests as (
    select
        own.lead_id,
        cast(own.digest + coalesce(email_groups.digest, 0) as {{ dbt.type_string() }}) as inputs_digest
    from own
    left join emails on own.lead_id = emails.lead_id
    left join email_groups on emails.email_key = email_groups.email_key
),

-- on an incremental build, the leads whose digest changed or appeared, and those that went
changed as (
    select
        digests.lead_id,
        digests.inputs_digest
    from digests
    {%- if is_incremental() %}
        left join {{ this }} as previous on digests.lead_id = previous.lead_id
    where previous.inputs_digest is null or previous.inputs_digest != digests.inputs_digest
    union all
    select
        previous.lead_id,
        cast(null as {{ dbt.type_string() }}) as inputs_digest
    from {{ this }} as previous
    where
        previous.inputs_digest is not null
        and previous.lead_id not in (select digests.lead_id from digests)
    {%- endif %}
)

select
    lead_id,
    inputs_digest,
    {{ run_started() }} as changed_at
from changed
