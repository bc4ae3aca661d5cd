-- Salesforce's lead universe (conformed `leads`): every lead that exists at the as-of time and is
-- not deleted (merged-away leads are deleted, so they drop out), with the lifecycle stage its
-- Status maps to in the org's picklist (seed `lead_status_stages`, field `Status`; null when the
-- value is not mapped). Grain: one row per lead.
-- A lead read after the as-of (`_read_after_as_of`: the source held only a later version) is
-- rolled back to the as-of as far as its history proves (docs/lifecycle.md, "A moving source"):
-- Status, owner, lead source and rejection reason take the old value of their first change after
-- the as-of, except that a Status whose own stage's date is stamped after the as-of takes the
-- lead's last Status row at or before it (a change history did not record); a stage date
-- stamped after the as-of is not set yet; a conversion after it has not
-- happened (ConvertedDate after the as-of's date, or a Status change after it); it is not deleted
-- or merged yet. Every other field keeps its value as read.
-- A view: a filter and a seed lookup that each reader's query folds in, cheaper than a
-- million-row copy every night; the roll-back reads only the leads read after the as-of.
{{ config(materialized='view') }}
{%- set fields = lead_fields('salesforce') %}
{%- set history_fields = {
    'status': 'Status',
    'owner_id': 'Owner',
    'lead_source': fields.get('lead_source'),
    'rejection_reason': fields.get('rejection_reason'),
} %}
{%- set stamps = ['mql', 'routed', 'first_touch', 'accepted', 'rejected', 'sql'] %}

with leads as (
    select * from {{ ref('stg_salesforce__leads') }}
),

-- each field's first change after the as-of (an owner change writes an id row and a name row:
-- the id row)
first_changes_after_as_of as (
    select
        lead_id,
        field_name,
        old_value
    from (
        select
            lead_id,
            field_name,
            old_value,
            row_number() over (
                partition by lead_id, field_name order by created_at, lead_history_id
            ) as change_order
        from {{ ref('stg_salesforce__lead_history') }}
        where
            created_at > {{ as_of_timestamp() }}
            and not is_deleted
            and (field_name != 'Owner' or left(new_value, 3) in ('005', '00G'))
            and lead_id in (
                select leads.lead_id from leads
                where leads._read_after_as_of
            )
    ) as changes
    where change_order = 1
),

values_at_as_of as (
    select
        lead_id,
        {%- for column, field in history_fields.items() if field %}
            count(case when field_name = '{{ field }}' then 1 end) > 0 as {{ column }}_changed,
            max(case when field_name = '{{ field }}' then old_value end) as {{ column }}_at_as_of,
        {%- endfor %}
        count(*) as changes
    from first_changes_after_as_of
    group by lead_id
),

-- each lead's last Status row at or before the as-of (its new value)
last_status_by_as_of as (
    select
        lead_id,
        new_value as status
    from (
        select
            lead_id,
            new_value,
            row_number() over (
                partition by lead_id order by created_at desc, lead_history_id desc
            ) as change_order
        from {{ ref('stg_salesforce__lead_history') }}
        where
            created_at <= {{ as_of_timestamp() }}
            and not is_deleted
            and field_name = 'Status'
            and lead_id in (
                select leads.lead_id from leads
                where leads._read_after_as_of
            )
    ) as changes
    where change_order = 1
),

read_after_as_of as (
    select
        leads.*,
        {%- for column, field in history_fields.items() if field %}
            coalesce(changes.{{ column }}_changed, false) as {{ column }}_changed,
            changes.{{ column }}_at_as_of,
        {%- endfor %}
        case when changes.status_changed then changes.status_at_as_of else leads.status end as status_by_history,
        last_status.status as last_status_by_as_of,
        leads.is_converted
        and leads.converted_date <= cast({{ as_of_timestamp() }} as date)
        and not coalesce(changes.status_changed, false) as converted_by_as_of
    from leads
    left join values_at_as_of as changes on leads.lead_id = changes.lead_id
    left join last_status_by_as_of as last_status on leads.lead_id = last_status.lead_id
    where leads._read_after_as_of
),

-- a status whose own stage's stamp is after the as-of was reached after it, whatever history
-- says (a change Salesforce did not write to history): the lead's last Status row at or before
-- the as-of says what it was then
rolled_back as (
    select
        read_after_as_of.*,
        case
            when
                case stages.lifecycle_stage
                    {%- for stage in ['mql', 'accepted', 'rejected', 'sql'] %}
                        when '{{ stage }}' then read_after_as_of.{{ stage }}_stamped_at
                    {%- endfor %}
                end > {{ as_of_timestamp() }}
                and read_after_as_of.last_status_by_as_of is not null
                then read_after_as_of.last_status_by_as_of
            else read_after_as_of.status_by_history
        end as status_by_as_of
    from read_after_as_of
    left join {{ ref('lead_status_stages') }} as stages
        on
            stages.field = 'Status'
            and read_after_as_of.status_by_history = stages.value
),

{%- set replacements = {
    'is_deleted': 'false',
    'master_record_id': 'cast(null as ' ~ dbt.type_string() ~ ')',
    'is_converted': 'converted_by_as_of',
} %}
{%- for column, field in history_fields.items() if field %}
    {%- do replacements.update({column:
        'case when ' ~ column ~ '_changed then ' ~ column ~ '_at_as_of else ' ~ column ~ ' end'}) %}
{%- endfor %}
{%- do replacements.update({'status': 'status_by_as_of'}) %}
{%- for column in ['converted_date', 'converted_account_id', 'converted_contact_id', 'converted_opportunity_id'] %}
    {%- do replacements.update({column: 'case when converted_by_as_of then ' ~ column ~ ' end'}) %}
{%- endfor %}
{%- for stage in stamps %}
    {%- do replacements.update({stage ~ '_stamped_at': 'case when ' ~ stage ~ '_stamped_at <= '
        ~ as_of_timestamp() ~ ' then ' ~ stage ~ '_stamped_at end'}) %}
{%- endfor %}

as_of_leads as (
    select * from leads
    where not _read_after_as_of
    union all
    select {{ columns_replacing(ref('stg_salesforce__leads'), replacements) }}
    from rolled_back
)

select
    as_of_leads.lead_id,
    'salesforce' as source_system,
    as_of_leads.email,
    as_of_leads.status,
    stages.lifecycle_stage as status_stage,
    as_of_leads.lead_source,
    as_of_leads.owner_id,
    as_of_leads.is_converted,
    as_of_leads.converted_date,
    as_of_leads.converted_opportunity_id,
    as_of_leads.number_of_employees,
    as_of_leads.lead_score,
    as_of_leads.mql_stamped_at,
    as_of_leads.routed_stamped_at,
    as_of_leads.first_touch_stamped_at,
    as_of_leads.accepted_stamped_at,
    as_of_leads.rejected_stamped_at,
    as_of_leads.sql_stamped_at,
    as_of_leads.rejection_reason,
    as_of_leads.created_at,
    as_of_leads.system_modstamp as modified_at,
    'minute' as history_grain,
    coalesce(as_of_leads.owner_id like '005%', false) as owner_is_person
from as_of_leads
left join {{ ref('lead_status_stages') }} as stages
    on
        stages.field = 'Status'
        and as_of_leads.status = stages.value
where not as_of_leads.is_deleted
