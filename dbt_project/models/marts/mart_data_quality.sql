-- One row per run and data-quality control (history is kept, so trends can be charted).
-- Generated from the control registry, the `data_quality_controls` seed: each row names a model,
-- its record id, the boolean column that selects the control's population (empty: every row)
-- and the one that marks a failing row, with threshold, severity and owner. A control whose
-- flags are not columns of its model's contract fails compilation, naming them.
-- A replayed night drops the rows of later nights: the warehouse then describes its as-of only.
-- Never rebuilt by a full refresh (the history would be lost).
{{ config(
    materialized='incremental',
    unique_key=['run_as_of', 'control_name'],
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    post_hook="delete from {{ this }} where run_as_of > {{ as_of_timestamp() }}",
    full_refresh=false
) }}

-- the models controls check (a control on another model adds its line here; dbt says so if not)
-- depends_on: {{ ref('fct_lead_lifecycle') }}
-- depends_on: {{ ref('fct_lead_sla') }}
-- depends_on: {{ ref('fct_opportunities') }}
-- depends_on: {{ ref('audit_extracted_records') }}
-- depends_on: {{ ref('audit_sheet_discipline') }}

{%- set controls = registered_controls() %}

with checked as (
    {%- for control in controls %}
        select
            '{{ control.control_name }}' as control_name,
            cast({{ control.record_id }} as {{ dbt.type_string() }}) as record_id,
            coalesce({{ control.failing_flag }}, false) as is_failing
        from {{ ref(control.model) }}
        {%- if control.population_flag %}
            where {{ control.population_flag }}
        {%- endif %}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- else %}
        select
            cast(null as {{ dbt.type_string() }}) as control_name,
            cast(null as {{ dbt.type_string() }}) as record_id,
            false as is_failing
        where false
    {%- endfor %}
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
    controls.owner,
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
