{#
    The current state of a raw object as of the run: each record's latest version whose stamp is
    at or before the as-of time (append-only objects: each row whose date is at or before it).
    Raw keeps every version ever received; this is where "as of" is applied.
#}
{% macro latest_versions(raw_relation, stamp_field=none) %}
    select
        payload,
        _loaded_at
    from (
        select
            payload,
            _loaded_at,
            row_number() over (
                partition by record_id
                order by
                    {% if stamp_field %}{{ parse_instant(json_text(stamp_field)) }} desc, {% endif %}
                    _loaded_at desc
            ) as version_rank
        from {{ raw_relation }}
        {% if stamp_field %}
            where {{ parse_instant(json_text(stamp_field)) }} <= {{ as_of_timestamp() }}
        {% endif %}
    ) as versions
    where version_rank = 1
{% endmacro %}
