-- One row per lead and stage reached, with where the timestamp came from, so a manager can
-- audit why a record moved. A lead that reached SQL with no SQL date (status or conversion
-- only) has an `sql` event with a null `entered_at` and evidence 'status only'.
--
-- Incremental: a night rebuilds the events of the leads touched since the previous build (a
-- new lead version, stage event, activity or opportunity change); leads that left the universe
-- are removed by the post-hook. Replaying an earlier night rebuilds everything.
{{ config(
    materialized='incremental',
    unique_key='lead_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    post_hook="delete from {{ this }} where lead_id not in (select lead_id from {{ ref('fct_lead_lifecycle') }})"
) }}

-- depends_on: {{ ref('int_leads') }}
-- depends_on: {{ ref('int_lead_stage_events') }}
-- depends_on: {{ ref('int_lead_first_touch') }}
-- depends_on: {{ ref('int_opportunities') }}

{% set previous_as_of = none %}
{% if is_incremental() and execute %}
    {% if 'built_as_of' in adapter.get_columns_in_relation(this) | map(attribute='name') | list %}
        {% set previous_as_of = run_query('select max(built_as_of) from ' ~ this).columns[0].values()[0] %}
    {% endif %}
{% endif %}
{% set since = "cast('" ~ previous_as_of ~ "' as timestamp)" if previous_as_of else none %}

with touched as (
    {% if since %}
        select lead_id from {{ ref('int_leads') }}
        where modified_at > {{ since }}
        union
        select lead_id from {{ ref('int_lead_stage_events') }}
        where changed_at > {{ since }}
        union
        select lead_id from {{ ref('int_lead_first_touch') }}
        where tasks_modified_at > {{ since }}
        union
        select leads.lead_id
        from {{ ref('int_leads') }} as leads
        inner join {{ ref('int_opportunities') }} as opportunities
            on leads.converted_opportunity_id = opportunities.opportunity_id
        where opportunities.modified_at > {{ since }}
    {% else %}
        select lead_id from {{ ref('int_leads') }}
    {% endif %}
),

stages as (
    select * from {{ ref('int_lead_stages') }}
    where
        lead_id in (select touched.lead_id from touched)
    {% if since %} and {{ as_of_timestamp() }} >= {{ since }} {% endif %}
    {% if since %}
        union all
        select * from {{ ref('int_lead_stages') }}
        where {{ as_of_timestamp() }} < {{ since }}
    {% endif %}
),

lifecycle as (
    select * from {{ ref('fct_lead_lifecycle') }}
    where lead_id in (select stages.lead_id from stages)
),

events as (
    select
        lead_id,
        'created' as stage,
        created_at as entered_at,
        'record created' as evidence
    from stages
    union all
    select
        lead_id,
        'mql' as stage,
        mql_at as entered_at,
        mql_evidence as evidence
    from stages
    where mql_at is not null
    union all
    select
        lead_id,
        'routed' as stage,
        routed_at as entered_at,
        routed_evidence as evidence
    from stages
    where routed_at is not null
    union all
    select
        lead_id,
        'first_touch' as stage,
        first_touch_at as entered_at,
        first_touch_evidence as evidence
    from stages
    where first_touch_at is not null
    union all
    select
        lead_id,
        'accepted' as stage,
        accepted_at as entered_at,
        accepted_evidence as evidence
    from stages
    where accepted_at is not null
    union all
    select
        lead_id,
        'rejected' as stage,
        rejected_at as entered_at,
        rejected_evidence as evidence
    from stages
    where rejected_at is not null
    union all
    select
        stages.lead_id,
        'sql' as stage,
        stages.sql_at as entered_at,
        coalesce(stages.sql_evidence, 'status only') as evidence
    from stages
    inner join lifecycle on stages.lead_id = lifecycle.lead_id
    where lifecycle.reached_sql
    union all
    select
        lead_id,
        'opportunity' as stage,
        opportunity_created_at as entered_at,
        'conversion' as evidence
    from lifecycle
    where is_opportunity
)

select
    {{ dbt.hash(dbt.concat(['lead_id', "'|'", 'stage'])) }} as event_id,
    lead_id,
    stage,
    entered_at,
    evidence,
    {{ as_of_timestamp() }} as built_as_of
from events
