{#
    A lifecycle stage's timestamp: the stamped field (CRM automation) when set, else the derived
    evidence; and, as `<stage>_evidence`, which of the two it came from (`nightly read` when the
    source dates its history only to the night: a lead sheet's, `leads.history_grain`). One rule
    for every stage of `int_lead_stages`, so a stage is added by one call.
#}
{% macro stamped_or_derived(stage, stamped, derived, derived_evidence) %}
    coalesce({{ stamped }}, {{ derived }}) as {{ stage }}_at,
    case
        when {{ stamped }} is not null then 'stamped field'
        when {{ derived }} is not null and leads.history_grain = 'night' then 'nightly read'
        when {{ derived }} is not null then '{{ derived_evidence }}'
    end as {{ stage }}_evidence
{%- endmacro %}
