-- HubSpot's touches (conformed `touches`, contract section 4): the calls, e-mails, meetings and
-- tasks associated with a contact (association at or before the as-of time). A call or e-mail
-- that is not archived touches the contact at its `hs_timestamp` (when at or before the as-of);
-- meetings and tasks are no touches but still tell when the contact's activities last changed.
-- Grain: one row per engagement and associated contact.
with engagements as (
    {%- for kind in ['calls', 'emails', 'meetings', 'tasks'] %}
        select
            '{{ kind }}' as engagement_type,
            engagement_id,
            {{ hubspot_archived_by_as_of() }} as is_archived,
            {{ parse_instant(hubspot_property('hs_timestamp')) }} as engaged_at,
            updated_at
        from {{ ref('stg_hubspot__' ~ kind) }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

select
    associations.to_id as lead_id,
    'hubspot' as source_system,
    engagements.engagement_type || '/' || engagements.engagement_id as activity_id,
    case
        when
            engagements.engagement_type in ('calls', 'emails')
            and not engagements.is_archived
            and engagements.engaged_at <= {{ as_of_timestamp() }}
            then engagements.engaged_at
    end as touched_at,
    engagements.updated_at as modified_at
from engagements
inner join {{ ref('stg_hubspot__associations') }} as associations
    on
        engagements.engagement_type = associations.from_object_type
        and engagements.engagement_id = associations.from_id
where
    associations.to_object_type = 'contacts'
    and associations.created_at <= {{ as_of_timestamp() }}
