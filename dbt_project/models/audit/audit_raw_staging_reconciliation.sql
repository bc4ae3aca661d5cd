-- Every raw record that exists at the as-of time must be accounted for in staging: one row per
-- source object with the distinct records in raw and the rows staging kept. The integrity
-- suite expects the two counts to be equal (no silent drops, no fan-out). A record exists at the
-- as-of when it has a version stamped at or before it, or was created at or before it (read
-- after it: `staged_after_as_of` counts those, which the run summary reports). A version's stamp
-- is read as received (`record_version`), without parsing each payload.
{% for system, table, stamp, created, staging_model in raw_objects() %}
    select
        '{{ system }}.{{ table }}' as source_object,
        (
            select count(distinct record_id)
            from {{ source(system, table) }}
            {% if stamp %}
                where
                    case
                        when {{ parse_instant('record_version') }} <= {{ as_of_timestamp() }} then true
                        {% if created %}
                            else {{ parse_instant("payload ->> '" ~ created ~ "'") }} <= {{ as_of_timestamp() }}
                        {% else %}
                            else false
                        {% endif %}
                    end
            {% endif %}
        ) as raw_records,
        (select count(*) from {{ ref(staging_model) }}) as staging_records,
        (
            select count(*) from {{ ref(staging_model) }}
            where _read_after_as_of
        ) as staged_after_as_of
    {% if not loop.last %}union all{% endif %}
{% endfor %}
