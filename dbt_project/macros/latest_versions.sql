{#
    The current state of a raw object as of the run: each record's latest version whose stamp is
    at or before the as-of time (append-only objects: each row whose date is at or before it).
    Raw keeps every version ever received; this is where "as of" is applied.

    A source holds only each record's latest version, and a night reads it when it runs, which
    can be hours or days after its as-of (a late night, a retry, a backfill). A record created
    at or before the as-of (`created_field`) whose every version raw holds came after it is
    staged from its earliest version after the as-of, `_read_after_as_of` set: the intermediate
    models roll the fields history proves back to the as-of (docs/lifecycle.md, "A moving source").

    Staging models are incremental (see dbt_project.yml): a night re-derives only the records
    whose state can have changed since the table was last built, and replaces those rows:
    * records with a version loaded after the last build (their newest load is later than any
      version the table holds);
    * records with a version stamped after the last build's as-of (loaded early, e.g. an activity
      stamped between the as-of and the extraction, or a record read after its as-of, and due
      tonight);
    * every record when tonight's as-of is earlier than the last build's (a replayed night); the
      rows of records that did not exist yet are then removed by `drop_rows_after_as_of`;
    * every record when the table was built before staging was incremental (no `_as_of`);
    * every record when the model's configuration (`config`, e.g. the org's field mapping) is
      not the one its rows were staged with (`_config`).
    Every other record has no version in (last as-of, tonight's as-of], so its row stands.
#}
{% macro latest_versions(raw_relation, stamp_field=none, config=none, created_field=none) %}
    {#- a version's `stamp_field` as received is its `record_version` (raw.py): no payload parsed -#}
    {%- set stamp = parse_instant('record_version') if stamp_field else none %}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list
        if is_incremental() and execute else [] %}
    {%- set incremental = '_as_of' in columns and (config is none or '_config' in columns) %}
    {%- if incremental %}
    {#- the versions of the records that can have changed, set apart before their stamps are read:
        DuckDB would otherwise read the stamp of every version raw holds (half the model's time
        on a nightly increment) -#}
    with candidates as materialized (
        select * from {{ raw_relation }}
        where record_id in (
            select record_id from {{ raw_relation }}
            where
                _loaded_at > (select coalesce(max(_loaded_at), cast('1900-01-01' as timestamp)) from {{ this }})
                {% if stamp %}or {{ stamp }} > (select max(_as_of) from {{ this }}){% endif %}
                or {{ as_of_timestamp() }} < (select max(_as_of) from {{ this }})
                {% if config is not none %}
                    or (select max(_config) from {{ this }}) != '{{ config }}'
                {% endif %}
        )
    )

    {% endif -%}
    select
        record_id,
        payload,
        _loaded_at,
        _read_after_as_of
    from (
        select
            record_id,
            payload,
            _loaded_at,
            {% if stamp %}{{ stamp }} > {{ as_of_timestamp() }}{% else %}false{% endif %} as _read_after_as_of,
            row_number() over (
                partition by record_id
                order by
                    {% if stamp -%}
                        case when {{ stamp }} <= {{ as_of_timestamp() }} then {{ stamp }} end desc nulls last,
                        {{ stamp }},
                    {% endif -%}
                    _loaded_at desc
            ) as version_rank
        from {% if incremental %}candidates{% else %}{{ raw_relation }}{% endif %}
        where
            {% if not stamp -%}
                true
            {%- elif created_field -%}
                {#- a case, so that only the versions after the as-of have their creation parsed -#}
                case
                    when {{ stamp }} <= {{ as_of_timestamp() }} then true
                    else {{ parse_instant("payload ->> '" ~ created_field ~ "'") }} <= {{ as_of_timestamp() }}
                end
            {%- else -%}
                {{ stamp }} <= {{ as_of_timestamp() }}
            {%- endif %}
    ) as versions
    where version_rank = 1
{% endmacro %}

{#
    The bookkeeping columns every staging row carries, after its own: the raw record id (the
    incremental key), when the version was loaded, whether it was read after the as-of (its
    fields as they were read, not at the as-of), the as-of of the night that staged it and, for a
    model with one, the configuration it was staged with.
#}
{% macro version_columns(config=none) %}
    record_id as _record_id,
    _loaded_at,
    _read_after_as_of,
    {{ as_of_timestamp() }} as _as_of
    {%- if config is not none %},
        '{{ config }}' as _config
    {%- endif %}
{% endmacro %}

{#
    Post-hook of the incremental staging models: after a replayed night, drop the records that
    did not exist yet, and the rows of a table built before staging was incremental (no `_as_of`;
    tonight re-staged every record). A staging model built as a table has nothing to do.
#}
{% macro drop_rows_after_as_of() %}
    {% if config.get('materialized') == 'incremental' %}
        delete from {{ this }} where _as_of > {{ as_of_timestamp() }} or _as_of is null
    {% endif %}
{% endmacro %}

{#
    A staging model's query: the latest versions of `raw_relation` (`latest_versions`, with the
    object's stamp and creation field from `raw_objects`), each payload parsed once, then
    `columns` (the model's, reading payload fields with `json_text`) and the bookkeeping ones
    (`version_columns`):

        {%- set columns %}
            {{ json_text('Id') }} as task_id,
            cast({{ json_text('ActivityDate') }} as date) as activity_date
        {%- endset %}

        {{ staged(source('salesforce', 'task'), columns=columns) }}

    On DuckDB, where JSON is stored as text, `_payload` is a struct of the fields `columns` reads,
    parsed once (`parsed_payload`). Reading each field with `payload ->> 'Field'` parses the whole
    payload once per field: a Lead's thirty fields took thirteen times as long (DECISIONLOG 41).
#}
{% macro staged(raw_relation, config=none, columns='') -%}
{%- set object = raw_object(raw_relation) %}
with source as (
    {{ latest_versions(raw_relation, object.stamp, config, object.created) | trim }}
),

parsed as (
    select
        *,
        {{ parsed_payload(columns) }} as _payload
    from source
)

select
    {{ columns | trim }},
    {{ version_columns(config) | trim }}
from parsed
{%- endmacro %}

{# `_payload` of a `staged` model, whose `json_text` fields are in `columns`. #}
{% macro parsed_payload(columns) -%}
    {{ return(adapter.dispatch('parsed_payload', 'leadflow')(columns)) }}
{%- endmacro %}

{# PostgreSQL: the payload itself (jsonb is parsed once, as it is stored). #}
{% macro default__parsed_payload(columns) -%}
    payload
{%- endmacro %}

{# DuckDB: a struct of the fields `columns` reads (as text), parsed from the JSON text once. #}
{% macro duckdb__parsed_payload(columns) -%}
    {%- set struct = {} %}
    {%- for quoted in modules.re.findall('_payload\."((?:[^"]|"")+)"', columns) %}
        {%- do struct.update({quoted | replace('""', '"'): 'VARCHAR'}) %}
    {%- endfor -%}
    from_json(payload, '{{ tojson(struct) | replace("'", "''") }}')
{%- endmacro %}
