-- SLA outcomes by month of MQL and routed owner.
select
    mql_month,
    routed_owner_id,
    count(*) as mqls,
    {% for sla in ['assign', 'first_touch', 'decision'] %}
        {% for status in ['met', 'breached', 'pending'] %}
            count(case when {{ sla }}_status = '{{ status }}' then 1 end) as {{ sla }}_{{ status }}
            {%- if not loop.last %},{% endif %}
        {% endfor %}
        {%- if not loop.last %},{% endif %}
    {% endfor %}
from {{ ref('fct_lead_sla') }}
group by mql_month, routed_owner_id
