{%- set columns %}
    {{ json_text('lead_id') }} as lead_id,
    cast({{ json_text('_row') }} as integer) as row_number,
    {{ parse_instant(json_text('_night')) }} as seen_at,
    {{ parse_instant(json_text('created_at')) }} as created_at,
    {{ json_text('name') }} as lead_name,
    {{ json_text('email') }} as email,
    {{ json_text('company') }} as company,
    cast({{ json_text('employee_count') }} as integer) as number_of_employees,
    {{ json_text('lead_source') }} as lead_source,
    {{ json_text('status') }} as status,
    {{ json_text('owner_email') }} as owner_email,
    {%- for stage in ['mql', 'routed', 'first_touch', 'accepted', 'rejected', 'sql', 'opportunity'] %}
        {{ parse_instant(json_text(stage ~ '_stamp')) }} as {{ stage }}_stamp,
    {%- endfor %}
    {{ json_text('rejection_reason') }} as rejection_reason,
    cast({{ json_text('mql_score') }} as double precision) as lead_score,
    cast({{ json_text('opportunity_amount') }} as decimal(18, 2)) as opportunity_amount,
    {{ json_text('opportunity_currency') }} as opportunity_currency,
    {{ json_text('opportunity_stage') }} as opportunity_stage,
    cast({{ json_text('opportunity_close_date') }} as date) as opportunity_close_date,
    {{ json_text('opportunity_next_step') }} as opportunity_next_step,
    {{ json_text('opportunity_business_problem') }} as opportunity_business_problem,
    {{ json_text('opportunity_use_case') }} as opportunity_use_case
{%- endset %}

{{ staged(source('sheet', 'leads'), columns=columns) }}
