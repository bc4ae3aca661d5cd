-- HubSpot's lead universe (conformed `leads`, contract section 4): every contact that exists at
-- the as-of time and is not archived, as of it. Its status is its last mapped status entry
-- (`hubspot__contact_status_entries`), converted when that maps to `converted`, to the
-- earliest-created associated deal existing at the as-of (ties: lowest id; none when that deal is
-- archived). Owner, lead source and rejection reason are the latest history entry at or before
-- the as-of; unset when the history holds entries of it, all later (a contact routed after the
-- as-of had no owner at it); the value as read when it holds none; the stamps (seed `lead_fields`,
-- system `hubspot`) are the properties as read, unset when after the as-of, and a stamp HubSpot
-- keeps itself (`hs_v2_date_entered_<stage>`, updated when a contact re-enters the stage) is the
-- earlier of the property and the first status entry of its stage. An empty owner is no owner
-- (the queue's part). Grain: one row per contact.
{{ config(materialized='table') }}
{%- set fields = lead_fields('hubspot') %}
{%- set stamp_stages = {'mql': 'mql', 'routed': none, 'first_touch': none, 'accepted': 'accepted',
    'rejected': 'rejected', 'sql': 'sql'} %}

with contacts as (
    select * from {{ ref('stg_hubspot__contacts') }}
    where not {{ hubspot_archived_by_as_of() }}
),

values_at_as_of as (
    {{ hubspot_values_at_as_of(ref('stg_hubspot__contacts_history'), {
        'owner_id': 'hubspot_owner_id',
        'lead_source': fields.get('lead_source'),
        'rejection_reason': fields.get('rejection_reason'),
    }) | indent(4) }}
),

statuses as (
    select
        contact_id,
        property_value as status,
        lifecycle_stage as status_stage,
        changed_at as status_changed_at,
        row_number() over (partition by contact_id order by status_order desc) as recency
    from {{ ref('hubspot__contact_status_entries') }}
),

first_stage_entries as (
    select
        contact_id,
        {%- for stage in ['mql', 'accepted', 'rejected', 'sql'] %}
            min(case when lifecycle_stage = '{{ stage }}' then changed_at end) as first_{{ stage }}_at
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref('hubspot__contact_status_entries') }}
    group by contact_id
),

-- each contact's earliest-created deal existing at the as-of (ties: lowest id)
first_deals as (
    select
        contact_id,
        deal_id,
        is_archived
    from (
        select
            associations.from_id as contact_id,
            deals.deal_id,
            {{ hubspot_archived_by_as_of('deals') }} as is_archived,
            row_number() over (
                partition by associations.from_id
                order by deals.created_at, length(deals.deal_id), deals.deal_id
            ) as deal_order
        from {{ ref('stg_hubspot__associations') }} as associations
        inner join {{ ref('stg_hubspot__deals') }} as deals
            on associations.to_id = deals.deal_id
        where
            associations.from_object_type = 'contacts'
            and associations.to_object_type = 'deals'
            and associations.created_at <= {{ as_of_timestamp() }}
            and deals.created_at <= {{ as_of_timestamp() }}
    ) as ranked
    where deal_order = 1
),

leads as (
    select
        contacts.contact_id as lead_id,
        {{ hubspot_property('email', 'contacts.properties') }} as email,
        statuses.status,
        statuses.status_stage,
        {%- for column, name in {'owner_id': 'hubspot_owner_id', 'lead_source': fields.get('lead_source'),
            'rejection_reason': fields.get('rejection_reason')}.items() %}
            nullif(
                case
                    when values_at_as_of.{{ column }}_known then values_at_as_of.{{ column }}
                    else {{ hubspot_property(name, 'contacts.properties') }}
                end,
                ''
            ) as {{ column }},
        {%- endfor %}
        coalesce(statuses.status_stage = 'converted', false) as is_converted,
        case when statuses.status_stage = 'converted' then cast(statuses.status_changed_at as date) end
            as converted_date,
        case
            when statuses.status_stage = 'converted' and not first_deals.is_archived then first_deals.deal_id
        end as converted_opportunity_id,
        cast(
            cast({{ hubspot_property(fields.get('employee_count'), 'contacts.properties') }} as double precision)
            as integer
        ) as number_of_employees,
        cast({{ hubspot_property(fields.get('mql_score'), 'contacts.properties') }} as double precision)
            as lead_score,
        {%- for stage, status_stage in stamp_stages.items() %}
            {%- set field = fields.get(stage ~ '_stamp') %}
            {%- set stamp = parse_instant(hubspot_property(field, 'contacts.properties')) %}
            {%- if field and field.startswith('hs_v2_date_entered_') and status_stage %}
                {%- set stamp = 'least(' ~ stamp ~ ', first_stage_entries.first_' ~ status_stage ~ '_at)' %}
            {%- endif %}
            case when {{ stamp }} <= {{ as_of_timestamp() }} then {{ stamp }} end as {{ stage }}_stamped_at,
        {%- endfor %}
        contacts.created_at,
        contacts.updated_at as modified_at
    from contacts
    left join values_at_as_of on contacts.contact_id = values_at_as_of.object_id
    left join statuses
        on
            contacts.contact_id = statuses.contact_id
            and statuses.recency = 1
    left join first_stage_entries on contacts.contact_id = first_stage_entries.contact_id
    left join first_deals on contacts.contact_id = first_deals.contact_id
)

select
    lead_id,
    'hubspot' as source_system,
    email,
    status,
    status_stage,
    lead_source,
    owner_id,
    is_converted,
    converted_date,
    converted_opportunity_id,
    number_of_employees,
    lead_score,
    mql_stamped_at,
    routed_stamped_at,
    first_touch_stamped_at,
    accepted_stamped_at,
    rejected_stamped_at,
    sql_stamped_at,
    rejection_reason,
    created_at,
    modified_at,
    'minute' as history_grain,
    owner_id is not null as owner_is_person
from leads
