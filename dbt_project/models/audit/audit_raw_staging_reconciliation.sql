-- Every raw record that exists at the as-of time must be accounted for in staging: one row per
-- source object with the distinct records in raw and the rows staging kept. The integrity
-- suite expects the two counts to be equal (no silent drops, no fan-out). A record's version is
-- its stamp as received (`record_version`), read here without parsing each payload.
{% for system, table, stamp, staging_model in raw_objects() %}
    select
        '{{ system }}.{{ table }}' as source_object,
        (
            select count(distinct record_id)
            from {{ source(system, table) }}
            {% if stamp %}
                where {{ parse_instant('record_version') }} <= {{ as_of_timestamp() }}
            {% endif %}
        ) as raw_records,
        (select count(*) from {{ ref(staging_model) }}) as staging_records
    {% if not loop.last %}union all{% endif %}
{% endfor %}
