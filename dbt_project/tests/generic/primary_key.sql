{#
    A key column: every row has a value and no two rows share one. One query where `not_null`
    and `unique` are two: each data test is a node of the night's `dbt build`, and below a
    million leads dbt's cost per node is most of a test's time (DECISIONLOG 42). A failing row
    is a key value (null included) with how many rows carry it.
#}
{% test primary_key(model, column_name) %}

select
    {{ column_name }} as key_value,
    count(*) as rows_with_key
from {{ model }}
group by {{ column_name }}
having {{ column_name }} is null or count(*) > 1

{% endtest %}
