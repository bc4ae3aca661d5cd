-- HubSpot's opportunity history (conformed `opportunity_history`, contract section 4): one row per
-- distinct time, at or before the as-of, of a deal's `dealstage`, `amount`, `closedate` and
-- `hs_deal_stage_probability` entries, holding each property's value as of that time (the
-- latest entry at or before it: a running value, carried forward). Grain: one row per deal and time.
{{ config(materialized='table') }}
{%- set properties = {'stage_id': 'dealstage', 'amount': 'amount', 'close_date': 'closedate',
    'probability': 'hs_deal_stage_probability'} %}
with entries as (
    select
        object_id as deal_id,
        changed_at,
        {%- for column, name in properties.items() %}
            max(case when property_name = '{{ name }}' then coalesce(property_value, '') end) as {{ column }}
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from (
        select
            *,
            row_number() over (
                partition by object_id, property_name, changed_at order by history_position desc
            ) as recency
        from {{ ref('stg_hubspot__deals_history') }}
        where
            property_name in ('dealstage', 'amount', 'closedate', 'hs_deal_stage_probability')
            and changed_at <= {{ as_of_timestamp() }}
    ) as latest_of_the_time
    where recency = 1
    group by object_id, changed_at
),

runs as (
    select
        *,
        {%- for column in properties %}
            count({{ column }}) over (
                partition by deal_id order by changed_at rows between unbounded preceding and current row
            ) as {{ column }}_run
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from entries
),

carried as (
    select
        deal_id,
        changed_at,
        {%- for column in properties %}
            nullif(max({{ column }}) over (partition by deal_id, {{ column }}_run), '') as {{ column }}
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from runs
)

select
    carried.deal_id || '/' || cast(carried.changed_at as {{ dbt.type_string() }}) as opportunity_history_id,
    'hubspot' as source_system,
    carried.deal_id as opportunity_id,
    stages.stage_name,
    cast(carried.amount as decimal(18, 2)) as amount,
    cast({{ parse_instant('carried.close_date') }} as date) as close_date,
    100 * cast(carried.probability as double precision) as probability,
    carried.changed_at as created_at
from carried
left join {{ ref('stg_hubspot__deals') }} as deals on carried.deal_id = deals.deal_id
left join {{ ref('hubspot__deal_stages') }} as stages
    on
        {{ hubspot_property('pipeline', 'deals.properties') }} = stages.pipeline_id
        and carried.stage_id = stages.stage_id
