-- One row per run and data-quality control (history is kept, so trends can be charted).
-- Populations and failing rows follow the controls table of the semantics document;
-- thresholds and severities come from the `data_quality_controls` seed.
-- A replayed night drops the rows of later nights: the warehouse then describes its as-of only.
{{ config(
    materialized='incremental',
    unique_key=['run_as_of', 'control_name'],
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    post_hook="delete from {{ this }} where run_as_of > {{ as_of_timestamp() }}"
) }}

with lifecycle as (
    select * from {{ ref('fct_lead_lifecycle') }}
),

sla as (
    select * from {{ ref('fct_lead_sla') }}
),

opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

checked as (
    select
        'source_unknown' as control_name,
        lead_id as record_id,
        original_source = 'Unknown' as is_failing
    from lifecycle
    union all
    select
        'duplicate_leads_multiple_owners' as control_name,
        lead_id as record_id,
        is_duplicate_multiple_owners as is_failing
    from lifecycle
    where email_key_hash is not null
    union all
    select
        'rejection_reason_other' as control_name,
        lead_id as record_id,
        rejection_reason = 'Other' as is_failing
    from lifecycle
    where rejected_at is not null
    union all
    select
        'rejection_reason_missing' as control_name,
        lead_id as record_id,
        rejection_reason = 'Missing' as is_failing
    from lifecycle
    where rejected_at is not null
    union all
    select
        'sql_date_missing' as control_name,
        lead_id as record_id,
        sql_date_missing as is_failing
    from lifecycle
    where reached_sql
    union all
    select
        'opportunity_source_overwritten' as control_name,
        lead_id as record_id,
        is_opportunity_source_overwritten as is_failing
    from lifecycle
    where is_opportunity
    union all
    select
        'opportunity_missing_next_step' as control_name,
        opportunity_id as record_id,
        not has_next_step as is_failing
    from opportunities
    where not is_closed
    union all
    select
        'opportunity_missing_evidence' as control_name,
        opportunity_id as record_id,
        is_missing_evidence as is_failing
    from opportunities
    union all
    select
        'mql_unworked_past_sla' as control_name,
        lead_id as record_id,
        is_unworked_past_sla as is_failing
    from sla
    union all
    select
        'routed_to_inactive_owner' as control_name,
        lead_id as record_id,
        is_owner_inactive as is_failing
    from lifecycle
    where is_open_lead
),

measured as (
    select
        control_name,
        count(*) as population,
        count(case when is_failing then 1 end) as failing_rows
    from checked
    group by control_name
),

sampled as (
    select
        control_name,
        record_id,
        row_number() over (partition by control_name order by record_id) as sample_rank
    from checked
    where is_failing
),

samples as (
    select
        control_name,
        {{ dbt.listagg('record_id', "', '", 'order by record_id') }} as sample_record_ids
    from sampled
    where sample_rank <= 5
    group by control_name
)

select
    {{ as_of_timestamp() }} as run_as_of,
    controls.control_name,
    controls.description,
    cast(controls.threshold as double precision) as threshold,
    controls.severity,
    samples.sample_record_ids,
    coalesce(measured.failing_rows, 0) as failing_rows,
    coalesce(measured.population, 0) as population,
    coalesce({{ safe_ratio('measured.failing_rows', 'measured.population') }}, 0) as failing_rate,
    case
        when
            coalesce(measured.population, 0) > 0
            and {{ safe_ratio('measured.failing_rows', 'measured.population') }} > controls.threshold
            then 'fail'
        else 'pass'
    end as status
from {{ ref('data_quality_controls') }} as controls
left join measured on controls.control_name = measured.control_name
left join samples on controls.control_name = samples.control_name
