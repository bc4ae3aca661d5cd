-- The stages of HubSpot's deal pipelines (`/crm/v3/pipelines/deals`): each stage's label (the
-- opportunity stage name), whether it is closed (`metadata.isClosed`) and won (a closed stage
-- of probability 1.0). Grain: one row per pipeline and stage.
with pipelines as (
    select {{ json_elements('pipelines') }} as pipeline
    from {{ ref('stg_hubspot__pipelines') }}
),

stages as (
    select
        pipeline ->> 'id' as pipeline_id,
        {{ json_elements("pipeline -> 'stages'") }} as stage
    from pipelines
),

described as (
    select
        pipeline_id,
        cast((stage -> 'metadata') ->> 'probability' as double precision) as probability,
        stage ->> 'id' as stage_id,
        stage ->> 'label' as stage_name,
        (stage -> 'metadata') ->> 'isClosed' as is_closed_text
    from stages
)

select
    pipeline_id,
    stage_id,
    stage_name,
    probability,
    coalesce(is_closed_text = 'true', false) as is_closed,
    coalesce(is_closed_text = 'true' and probability = 1, false) as is_won
from described
