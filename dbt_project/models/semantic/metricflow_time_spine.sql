-- One row per day from 2015 to 2035: the time spine MetricFlow joins metrics to (a day with no
-- leads is still a day). Not published: the semantic layer queries the work warehouse.
with days as (
    {{ dbt.date_spine('day', "cast('2015-01-01' as date)", "cast('2036-01-01' as date)") }}
)

select cast(date_day as date) as date_day
from days
