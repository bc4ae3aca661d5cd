{#
    The source systems whose conformed models (`models/conformed/<system>/<system>__<entity>`) the
    intermediate models union: each provides every conformed entity under one enforced contract
    (`models/conformed/_conformed__models.yml`), an empty one where the system cannot express it.
    A system whose connection is not configured lands nothing, and its models are empty.
    Adding a source system is adding its name here (tests/test_dbt_project.py checks this list
    against the Python registry's CRMs and the conformed models against the contracts).
#}
{% macro source_systems() %}
    {{ return(['salesforce', 'hubspot', 'sheet']) }}
{% endmacro %}

{# What a source system cannot express at all, by conformed entity, and why: its conformed model
   is empty, and `mart_source_coverage` lists it as unavailable (when the system was read). #}
{% macro inexpressible_entities() %}
    {{ return({
        'hubspot': {
            'campaigns': "HubSpot's CRM API has no campaign membership of contacts: the campaign marts are empty "
                ~ "for a portal, and opportunities have no primary campaign",
        },
        'sheet': {
            'campaigns': "A lead sheet has no campaign membership: the campaign marts are empty for it",
            'touches': "A lead sheet logs no activities: a lead's first touch is its First Touch Date column "
                ~ "(empty there: not known)",
            'opportunity_history': "A lead sheet keeps an opportunity's current stage, amount and close date only: "
                ~ "close-date pushes and stage durations are not known",
        },
    }) }}
{% endmacro %}

{# Each system's source object of opportunity history (`raw_objects`): without it tonight, what
   history tells (close-date pushes) is not known. #}
{% macro opportunity_history_objects() %}
    {{ return({'salesforce': 'salesforce.opportunityhistory', 'hubspot': 'hubspot.deals_history'}) }}
{% endmacro %}

{# One conformed entity of every source system, as one relation (`int_<entity>` select from it):
   the contract's columns by name, in its order. #}
{% macro union_systems(entity) %}
    {%- for system in source_systems() %}
        {%- set relation = ref(system ~ '__' ~ entity) %}
        {%- set columns = ['*'] %}
        {%- if execute %}
            {%- set columns = graph.nodes['model.leadflow.' ~ system ~ '__' ~ entity].columns.keys() | list %}
        {%- endif %}
        select {{ columns | join(', ') }} from {{ relation }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
{% endmacro %}

{# Texts as an SQL list of literals: `'a', 'b'`. #}
{% macro quoted_list(texts) -%}
    {%- set quoted = [] %}
    {%- for text in texts %}{% do quoted.append("'" ~ (text | replace("'", "''")) ~ "'") %}{% endfor %}
    {{- quoted | join(', ') -}}
{%- endmacro %}
