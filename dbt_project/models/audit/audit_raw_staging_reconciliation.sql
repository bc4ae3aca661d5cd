-- Every raw record that exists at the as-of time must be accounted for in staging: one row per
-- source object with the distinct records in raw and the rows staging kept. The integrity
-- suite expects the two counts to be equal (no silent drops, no fan-out).
{% set objects = [
    ('salesforce', 'user', 'SystemModstamp', 'stg_salesforce__users'),
    ('salesforce', 'group', 'SystemModstamp', 'stg_salesforce__groups'),
    ('salesforce', 'account', 'SystemModstamp', 'stg_salesforce__accounts'),
    ('salesforce', 'lead', 'SystemModstamp', 'stg_salesforce__leads'),
    ('salesforce', 'leadhistory', 'CreatedDate', 'stg_salesforce__lead_history'),
    ('salesforce', 'opportunity', 'SystemModstamp', 'stg_salesforce__opportunities'),
    ('salesforce', 'task', 'SystemModstamp', 'stg_salesforce__tasks'),
    ('salesforce', 'campaign', 'SystemModstamp', 'stg_salesforce__campaigns'),
    ('salesforce', 'campaignmember', 'SystemModstamp', 'stg_salesforce__campaign_members'),
    ('marketo', 'leads', 'updatedAt', 'stg_marketo__leads'),
    ('marketo', 'activities', 'activityDate', 'stg_marketo__activities'),
    ('marketo', 'activity_types', none, 'stg_marketo__activity_types'),
    ('marketo', 'programs', 'updatedAt', 'stg_marketo__programs'),
] %}

{% for system, table, stamp, staging_model in objects %}
    select
        '{{ system }}.{{ table }}' as source_object,
        (
            select count(distinct record_id)
            from {{ source(system, table) }}
            {% if stamp %}
                where {{ parse_instant(json_text(stamp)) }} <= {{ as_of_timestamp() }}
            {% endif %}
        ) as raw_records,
        (select count(*) from {{ ref(staging_model) }}) as staging_records
    {% if not loop.last %}union all{% endif %}
{% endfor %}
