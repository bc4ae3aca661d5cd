{#
    The day a cohort month matures: the seed `cohort_maturity`'s days for that kind of cohort
    (`lead_created_month`, `mql_month`, `opportunity_created_month`) after the month ended.
    Null for a kind the seed lacks (the models' not_null constraints then stop the build).
#}
{% macro cohort_matures_on(cohort_month, cohort) -%}
    cast(
        {{ cohort_month }} + interval '1 month'
        + (
            select policy.mature_after_days from {{ ref('cohort_maturity') }} as policy
            where policy.cohort = '{{ cohort }}'
        ) * interval '1 day'
        as date
    )
{%- endmacro %}

{# Whether that cohort month is mature at the night's as-of time. #}
{% macro cohort_is_mature(cohort_month, cohort) -%}
    ({{ as_of_timestamp() }} >= {{ cohort_matures_on(cohort_month, cohort) }})
{%- endmacro %}
