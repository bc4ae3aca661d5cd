{#
    Lead-grain models built incrementally (DECISIONLOG 57): a night recomputes only the leads
    whose inputs changed since the model was last built, and the leads a clock moves.

    * `int_lead_input_digests` keeps, per lead, a digest of every row any lead-grain model reads
      for it (its version, status history, routings, source values, activities, marketing links
      and their activities, campaign memberships, converted opportunity, owners) and when that
      digest last changed (`changed_at`: the dbt run that saw it change). A lead that left the
      universe keeps a row with a null digest, changed when it left.
    * Each lead-grain model (configured in dbt_project.yml, anchor `rebuilt_by_lead`) reads its
      inputs through `lead_is_rebuilt`: every lead on a full build; on an incremental one the
      leads whose digest changed after the model's last build (`raw_meta.lead_builds`, written
      by its post-hook), plus any leads the model names as moved by the clock (an SLA clock still
      pending, an MQL month not yet mature: each turns once, forward in time, on the as-of alone).
    * The `lead_rebuild` strategy deletes every row of those leads (a lead can lose rows: an MQL
      no longer, a lead deleted) and inserts the rebuilt ones.
    A model that failed keeps its older watermark, so the next build covers what it missed. What
    the digests cannot see (the project, a policy seed, the org's configuration) changes the
    project's fingerprint, and the night then builds with `--full-refresh` (leadflow.nightly).
#}

{# The lead ids whose digest changed after this model's last successful build. #}
{% macro leads_to_rebuild() -%}
    (
        select lead_id from {{ ref('int_lead_input_digests') }}
        where changed_at > (
            select coalesce(max(built_at), cast('1900-01-01' as timestamp)) from {{ lead_builds() }}
            where model_name = '{{ this.identifier }}'
        )
    )
{%- endmacro %}

{# A filter on a model's driving input: every lead on a full build, else the leads to rebuild
   and `also` (a query of lead ids the clock moves). The digests are a dependency of the model
   (named at parse time), not an input its unit tests must give. #}
{% macro lead_is_rebuilt(column, also=none) -%}
    {%- if not execute %}{% do ref('int_lead_input_digests') %}{% endif -%}
    {%- if is_incremental() -%}
        ({{ column }} in {{ leads_to_rebuild() }}{% if also %} or {{ column }} in ({{ also }}){% endif %})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{# The incremental strategy of the lead-grain models: replace every row of the rebuilt leads. #}
{% macro get_incremental_lead_rebuild_sql(arg_dict) %}
    {%- set target, temp = arg_dict['target_relation'], arg_dict['temp_relation'] %}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) %}
    delete from {{ target }}
    where lead_id in (select lead_id from {{ temp }}) or lead_id in {{ leads_to_rebuild() }};
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ temp }}
{% endmacro %}

{# The table of each lead-grain model's last successful build (beside the night's own record). #}
{% macro lead_builds() -%}
    raw_meta.lead_builds
{%- endmacro %}

{# On run start, once (not a pre-hook of each model: on PostgreSQL, models building side by side
   race on `create table if not exists`): the table of builds exists (a warehouse of an earlier
   release has the models but not it). #}
{% macro ensure_lead_builds() %}
    create schema if not exists raw_meta;
    create table if not exists {{ lead_builds() }} (model_name {{ dbt.type_string() }}, built_at timestamp)
{% endmacro %}

{# Post-hook of every lead-grain model: this run built it. #}
{% macro record_lead_build() %}
    delete from {{ lead_builds() }} where model_name = '{{ this.identifier }}';
    insert into {{ lead_builds() }} values ('{{ this.identifier }}', {{ run_started() }})
{% endmacro %}

{# When this dbt run started (UTC): what `changed_at` and `built_at` are measured in. #}
{% macro run_started() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
{%- endmacro %}

{# A row's hash and a sum of them per lead, as the engine computes them fast: order does not
   matter, each row counts. #}
{% macro row_hash(alias) -%}
    {{ return(adapter.dispatch('row_hash', 'leadflow')(alias)) }}
{%- endmacro %}

{% macro default__row_hash(alias) -%}
    cast(('x' || substr(md5(cast({{ alias }} as text)), 1, 15))::bit(60) as bigint)
{%- endmacro %}

{% macro duckdb__row_hash(alias) -%}
    hash({{ alias }})
{%- endmacro %}
